// Public API of @sweeplab/cli: the program (for tests and wrappers) and the text renderers of each command.
export { main, buildProgram, versionText } from './main.js';
export type { CliDeps } from './context.js';
