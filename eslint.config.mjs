// @ts-check
// sweeplab's lint rules, run by `npm run lint` and by scripts/test.sh before the tests.
//
// - Package layers (@nx/enforce-module-boundaries), from each package.json's "nx": { "tags": [...] }:
//   cli -> engine (runner) -> store / reporting -> core (data, nn-core, gradcheck); reporting may also read store.
// - No runtime import cycles inside a package (import-x/no-cycle; `import type` does not count). Cycles between
//   packages are reported by the boundaries rule.
// - Determinism: Math.random is banned everywhere (use a pure-rand generator seeded from the trial seed), and
//   wall-clock reads are banned outside CLOCK_READERS, tests and benchmarks.
// - The engine stays readable: no function over 100 lines in packages/runner/src (tests excepted).
// - typescript-eslint's recommended rules plus a few cheap type-aware ones (floating promises, awaiting
//   non-promises).
import js from '@eslint/js';
import devkit from '@nx/devkit';
import nx from '@nx/eslint-plugin';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// @nx/enforce-module-boundaries reads nx's cached project graph and skips itself, with only a warning, when there
// is none (a fresh clone). Computing the graph here (offline, no daemon, incremental: ~1 s) keeps `npx eslint`
// correct without an nx command having run first.
process.env['NX_DAEMON'] ??= 'false';
process.env['NX_NO_CLOUD'] ??= 'true';
await devkit.createProjectGraphAsync({ exitOnError: true });

/**
 * The files that may read the wall clock (Date.now, new Date(), performance.now, process.hrtime): they record when
 * something happened or how long it took. Everything else takes the time as a parameter (e.g. a Clock).
 */
const CLOCK_READERS = [
  'packages/gradcheck/src/gradcheck.ts', // GradcheckReport.seconds
  'packages/nn-core/src/train.ts', // per-epoch seconds and evalSeconds
  'packages/runner/src/clock.ts', // the engine's Clock (systemClock)
  'packages/store/src/store.ts', // row timestamps (created_at, heartbeat_at, diagnosed_at, ...)
  'packages/cli/src/**/*.ts', // progress bars, elapsed time, ETA
];

/** Tests, test helpers and benchmarks: they time things and build fixtures tersely. */
const TEST_FILES = ['packages/*/src/**/*.test.ts', 'packages/*/src/testing/**/*.ts', 'packages/*/src/bench/**/*.ts'];
const TS_FILES = ['packages/*/src/**/*.ts'];
const JS_FILES = ['**/*.js', '**/*.mjs', '**/*.cjs'];

const CLOCK_HINT = 'reads the wall clock: take the time as a parameter (a Clock), or list the file in CLOCK_READERS in eslint.config.mjs.';
const MATH_RANDOM = {
  object: 'Math',
  property: 'random',
  message: 'Math.random is not reproducible: draw from a pure-rand generator seeded from the trial seed (nn-core Rng).',
};
const CLOCK_PROPERTIES = [
  { object: 'Date', property: 'now', message: `Date.now() ${CLOCK_HINT}` },
  { object: 'performance', property: 'now', message: `performance.now() ${CLOCK_HINT}` },
  { object: 'process', property: 'hrtime', message: `process.hrtime ${CLOCK_HINT}` },
];
const CLOCK_SYNTAX = [
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: `new Date() ${CLOCK_HINT}` },
  { selector: "CallExpression[callee.name='Date']", message: `Date() ${CLOCK_HINT}` },
];
// A later config object replaces (does not merge) a rule's options, so both variants are spelled out in full.
const banRandomAndClock = {
  'no-restricted-properties': ['error', MATH_RANDOM, ...CLOCK_PROPERTIES],
  'no-restricted-syntax': ['error', ...CLOCK_SYNTAX],
};
const banRandomOnly = {
  'no-restricted-properties': ['error', MATH_RANDOM],
  'no-restricted-syntax': 'off',
};

export default tseslint.config(
  {
    // build outputs (dist/, node-gyp's build/ and build-builtin/, nx's cache), results and the C sources
    ignores: ['**/node_modules/**', '**/dist/**', 'packages/*/build/**', 'packages/*/build-*/**', '.nx/**', 'results/**', 'packages/nn-core/native/**'],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },

  // Every JavaScript and TypeScript file.
  {
    files: [...TS_FILES, ...JS_FILES],
    extends: [js.configs.recommended],
    plugins: { '@nx': nx, 'import-x': importX },
    languageOptions: { globals: { ...globals.node } },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        // Relative imports say `.js` and name `.ts` sources; workspace packages resolve to their sources.
        createNodeResolver({
          extensionAlias: { '.js': ['.ts', '.js'] },
          conditionNames: ['source', 'types', 'import', 'node', 'default'],
        }),
      ],
    },
    rules: {
      ...banRandomAndClock,
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'layer:cli', onlyDependOnLibsWithTags: ['layer:engine', 'layer:store', 'layer:reporting', 'layer:core'] },
            { sourceTag: 'layer:engine', onlyDependOnLibsWithTags: ['layer:store', 'layer:reporting', 'layer:core'] },
            { sourceTag: 'layer:reporting', onlyDependOnLibsWithTags: ['layer:store', 'layer:core'] },
            { sourceTag: 'layer:store', onlyDependOnLibsWithTags: ['layer:core'] },
            { sourceTag: 'layer:core', onlyDependOnLibsWithTags: ['layer:core'] },
          ],
        },
      ],
    },
  },

  // TypeScript: the recommended rules, plus type-aware ones that are cheap and catch real bugs.
  {
    files: TS_FILES,
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },

  // Packages compiled with noUncheckedIndexedAccess and exactOptionalPropertyTypes: no `!`, and no `as` or `!`
  // that the compiler does not need. (Extend this list to every package once tsconfig.base.json has both flags:
  // before that, no-unnecessary-type-assertion calls the `!` on indexed reads "unnecessary".)
  {
    files: ['packages/data/src/**/*.ts', 'packages/gradcheck/src/**/*.ts', 'packages/reporting/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
    },
  },

  // The engine: no function over ~100 lines.
  {
    files: ['packages/runner/src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true, IIFEs: true }] },
  },

  { files: CLOCK_READERS, rules: banRandomOnly },

  // Tests, test helpers and benchmarks. Math.random stays banned.
  {
    files: TEST_FILES,
    rules: {
      ...banRandomOnly,
      'max-lines-per-function': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  // Nothing imports a test file or a benchmark, so no cycle can pass through one: skip the (costly) cycle search.
  { files: ['packages/*/src/**/*.test.ts', 'packages/*/src/bench/**/*.ts'], rules: { 'import-x/no-cycle': 'off' } },

  // Plain JavaScript (bins, install scripts, this file): no type information.
  { files: JS_FILES, extends: [tseslint.configs.disableTypeChecked] },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
);
