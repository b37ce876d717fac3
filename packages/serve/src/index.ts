// Public API of @sweeplab/serve: the read-only live dashboard over a results database (`sweeplab serve`).
export { startServer, SweeplabServer, SERVE_DEFAULTS } from './server.js';
export type { ServeOptions, ServeHandle } from './server.js';
export { isLoopback } from './auth.js';
export type { Delta, TrialChange, EpochChange, Scope } from './watcher.js';
