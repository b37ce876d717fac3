/**
 * Loader of the N-API kernel addon (issues 6 and 14): build/Release/nn_core.node, built from native/*.c by the
 * package's install script (`node-gyp rebuild || node scripts/no-native.cjs`), linked against OpenBLAS when the
 * build found it (tier 'openblas'), else with its own built-in GEMM (tier 'builtin'; native/gemm_impl.h). The
 * addon's buildInfo() says which. scripts/build-builtin.cjs builds the built-in tier a second time, with
 * OpenBLAS hidden, into build-builtin/Release/nn_core.node for the tests and the benches (builtinAddonPath()).
 * When the addon is missing or does not load, `loadNativeKernels()` says why and nn-core uses the TypeScript
 * kernels (src/kernels/index.ts decides; this file never throws for an unavailable addon).
 *
 * OpenBLAS environment. Debian's OpenBLAS 0.3.21 misdetects recent CPUs (e.g. Sapphire Rapids) and falls back
 * to its SSE3 "Prescott" kernels, 4x slower. OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS from
 * the C environment once, when the shared library loads, i.e. when this addon is first loaded in the process.
 * `prepareNativeEnv()` sets both (unless the user already has) before that first load; the loader calls it.
 *
 * WORKER PITFALL: a worker thread's `process.env` is a private copy; writing to it never reaches the C
 * environment, so if the addon is first loaded inside a worker, OpenBLAS does not see the variables and runs
 * "Prescott". Whoever creates a worker pool must therefore call `prepareNativeEnv()` in the MAIN thread
 * before creating the pool (workers then also inherit the variables), or create the pool with
 * `env: SHARE_ENV` (node:worker_threads). The loaded core is process-wide and fixed at the first load:
 * `loadNativeKernels()` reports it (`openblasCore`) and adds a `notice` (plus one process warning) when it
 * is not the core that was asked for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { withBf16Gemm } from './bf16.js';
import type { FloatArray, Kernels, KernelTier } from './types.js';

/** The addon's file name (target_name in binding.gyp). */
export const NATIVE_ADDON_NAME = 'nn_core';
/** The argument layout version the addon must report (NNC_ABI_VERSION in native/nn_core.c). */
export const NATIVE_ABI_VERSION = 7;
/** Reason given when build/Release/nn_core.node does not exist. */
export const REASON_NOT_BUILT = 'the addon was not built (no C compiler at install time)';

/** How the addon was built (its buildInfo()). */
export interface NativeBuild {
  /** the GEMM behind `gemm`: OpenBLAS, or the built-in packed GEMM */
  gemm: 'openblas' | 'builtin';
  /** the built-in GEMM's micro-kernel: 'AVX-512', 'AVX2+FMA', 'SSE2', 'NEON' or 'plain C' (chosen at build time) */
  isa: string;
  /** the -march it was compiled with (default 'native') */
  march: string;
  compiler: string;
  /** the GEMM behind linearAct, linearBackward (ReLU) and weightGradStep (their fused epilogues) for float32 / float64 models: the
   * built-in one in the built-in tier, and for float32 on AVX-512 builds of the OpenBLAS tier too (gemm_isa.h) */
  fusedF32: 'openblas' | 'builtin';
  fusedF64: 'openblas' | 'builtin';
}

/** The addon's bf16Support(): the kernel bfloat16 GEMMs use on this CPU, or what the CPU lacks. */
export interface NativeBf16 { kernel: 'amx' | 'avx512bf16' | null; missing: string | null }

/** gemm's signature (the addon's gemmBuiltin: always the built-in GEMM, in either build). */
export type GemmFn = Kernels['gemm'];

export interface NativeLoad {
  kernels: Kernels | null;
  /** why the addon is not in use (empty when it is) */
  reason: string;
  /** OpenBLAS core in use, e.g. "SkylakeX" (null when not loaded, or in the built-in tier) */
  openblasCore: string | null;
  /** how the loaded addon was built (null when not loaded) */
  build?: NativeBuild | null;
  /** the built-in GEMM of the loaded addon, in either tier (tests and benches compare it with OpenBLAS) */
  gemmBuiltin?: GemmFn | null;
  /** the built-in GEMM without its zero skipping (the k where a micro-panel of A is all zero): tests compare the two */
  gemmBuiltinDense?: GemmFn | null;
  /** the bfloat16 kernel this CPU runs ('amx' | 'avx512bf16'), or null with what is missing */
  bf16?: NativeBf16 | null;
  /** kernels for bfloat16 models (float32 kernels with bf16-input GEMMs); null when the CPU has no bf16 kernel */
  bf16Kernels?: Kernels | null;
  // The fields below are optional only so that callers can build a NativeLoad of their own (e.g. for an
  // exception); loadNativeKernels() always fills them.
  /** openblas_get_config(), e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64" */
  openblasConfig?: string | null;
  /** OpenBLAS threads (the addon pins 1 at load; parallelism comes from worker threads) */
  openblasThreads?: number | null;
  /** the OPENBLAS_CORETYPE asked for before the load, and where it came from */
  coretype?: string | null;
  coretypeSource?: CoretypeSource;
  /** a warning that does not prevent use, e.g. OpenBLAS runs another core than the one asked for ('' if none) */
  notice?: string;
  /** absolute path of the .node file tried */
  addonPath?: string;
}

/**
 * 'cpu': set by prepareNativeEnv() in this thread from /proc/cpuinfo; 'user': OPENBLAS_CORETYPE was already set
 * (by the user, or inherited by a worker from its main thread's prepareNativeEnv()); 'none': left unset.
 */
export type CoretypeSource = 'user' | 'cpu' | 'none';

export interface NativeEnv {
  /** OPENBLAS_CORETYPE as set for OpenBLAS (null: left to OpenBLAS's own detection) */
  coretype: string | null;
  coretypeSource: CoretypeSource;
  /** OPENBLAS_NUM_THREADS after the call */
  numThreads: string;
  /**
   * false inside a worker thread: there the variables only went into the worker's private copy of
   * process.env, which OpenBLAS does not see (unless the pool shares the env with SHARE_ENV).
   */
  reachesOpenblas: boolean;
}

/** The functions the addon exports (the kernels without `backend`/`tier`, plus build and OpenBLAS information). */
interface NativeAddon extends Omit<Kernels, 'backend' | 'tier'> {
  readonly abiVersion: number;
  buildInfo(): NativeBuild;
  gemmBuiltin: GemmFn;
  gemmBuiltinDense: GemmFn;
  gemmBf16: GemmFn;
  linearActBf16: Kernels['linearAct'];
  linearBackwardBf16: Kernels['linearBackward'];
  weightGradStepBf16: Kernels['weightGradStep'];
  bf16Support(): NativeBf16;
  /** the address of x's first element modulo 64 (bytes) */
  misalignment(x: FloatArray): number;
  /** only in the OpenBLAS tier */
  openblasCorename?(): string;
  openblasConfig?(): string;
  openblasNumThreads?(): number;
}

const KERNEL_FUNCTIONS = [
  'gemm', 'linearAct', 'linearBackward', 'weightGradStep', 'biasAct', 'actBackward', 'outputLoss', 'gatherBatch', 'colSum', 'axpy', 'sumSq', 'sgdStep', 'momentumStep', 'adamStep',
] as const satisfies ReadonlyArray<Exclude<keyof Kernels, 'backend'>>;

/**
 * The OpenBLAS core for a CPU with these /proc/cpuinfo flags: 'SkylakeX' with AVX-512 (F, BW, VL, DQ),
 * 'Haswell' with AVX2 + FMA, else null (let OpenBLAS detect). `flags` is the text of a `flags` line or a set.
 */
export function openblasCoreForCpu(flags: string | ReadonlySet<string>): 'SkylakeX' | 'Haswell' | null {
  const has = typeof flags === 'string' ? new Set(flags.split(/\s+/)) : flags;
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => has.has(f))) return 'SkylakeX';
  if (has.has('avx2') && has.has('fma')) return 'Haswell';
  return null;
}

/** The `flags` line of the first CPU in /proc/cpuinfo (x86 Linux), or null where there is none. */
function readCpuFlags(): string | null {
  try {
    const m = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1]! : null;
  } catch {
    return null;
  }
}

/**
 * Sets OPENBLAS_CORETYPE (from the CPU's features) and OPENBLAS_NUM_THREADS=1 in process.env unless they are
 * set already. Must run before the addon first loads in the process; call it in the MAIN thread before
 * creating a worker pool (see the worker pitfall at the top of this file). Idempotent and cheap.
 */
export function prepareNativeEnv(): NativeEnv {
  const env = process.env;
  let coretype: string | null = null;
  let coretypeSource: CoretypeSource = 'none';
  const user = env.OPENBLAS_CORETYPE;
  if (user !== undefined && user !== '') {
    coretype = user;
    coretypeSource = preparedCoretype === user ? 'cpu' : 'user';
  } else {
    const flags = readCpuFlags();
    const core = flags === null ? null : openblasCoreForCpu(flags);
    if (core !== null) {
      env.OPENBLAS_CORETYPE = core;
      preparedCoretype = core;
      coretype = core;
      coretypeSource = 'cpu';
    }
  }
  if (env.OPENBLAS_NUM_THREADS === undefined || env.OPENBLAS_NUM_THREADS === '') env.OPENBLAS_NUM_THREADS = '1';
  return { coretype, coretypeSource, numThreads: env.OPENBLAS_NUM_THREADS, reachesOpenblas: isMainThread };
}
/** The value prepareNativeEnv() set itself in this thread (to tell 'cpu' from 'user' on a second call). */
let preparedCoretype: string | null = null;

/** Absolute path of build/Release/nn_core.node (this file is dist/kernels/native.js or src/kernels/native.ts). */
export function nativeAddonPath(): string {
  return fileURLToPath(new URL(`../../build/Release/${NATIVE_ADDON_NAME}.node`, import.meta.url));
}

/** Absolute path of build-builtin/Release/nn_core.node: the built-in GEMM tier built with OpenBLAS hidden. */
export function builtinAddonPath(): string {
  return fileURLToPath(new URL(`../../build-builtin/Release/${NATIVE_ADDON_NAME}.node`, import.meta.url));
}

/**
 * The tier label of a loaded addon, e.g. 'native (OpenBLAS SkylakeX)' or 'native (built-in GEMM, AVX-512)'.
 */
export function nativeTierLabel(build: NativeBuild, openblasCore: string | null): string {
  return build.gemm === 'openblas' ? `native (OpenBLAS ${openblasCore ?? 'unknown core'})` : `native (built-in GEMM, ${build.isa})`;
}

/**
 * n zeroed values of `dtype` starting on a 64-byte boundary: a view into a buffer 64 bytes longer, at the offset
 * the addon's misalignment() gives (malloc aligns large buffers to 16 bytes only).
 */
function alignedAlloc(addon: NativeAddon, dtype: 'float32' | 'float64', n: number): FloatArray {
  const size = dtype === 'float64' ? 8 : 4;
  const raw = dtype === 'float64' ? new Float64Array(n + 64 / size) : new Float32Array(n + 64 / size);
  const off = ((64 - addon.misalignment(raw)) % 64) / size;
  if (!Number.isInteger(off)) return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n); // not seen: malloc aligns to >= 8
  return raw.subarray(off, off + n);
}

/** 2x3 · 3x2 with known integer result: catches a broken BLAS before it silently trains garbage. */
function selfTest(addon: NativeAddon): string {
  const A = [1, 2, 3, 4, 5, 6]; // (2, 3)
  const B = [7, 8, 9, 10, 11, 12]; // (3, 2)
  const want = [58, 64, 139, 154]; // A · B, by hand
  for (const make of [(a: number[]) => new Float32Array(a), (a: number[]) => new Float64Array(a)]) {
    for (const [name, gemm] of [['gemm', addon.gemm], ['gemmBuiltin', addon.gemmBuiltin]] as const) {
      const C: FloatArray = make([-1, -1, -1, -1]);
      gemm(false, false, 2, 2, 3, 1, make(A), make(B), 0, C);
      if (want.some((w, i) => C[i] !== w)) {
        return `the addon loaded but its GEMM self-test failed (${name}, ${C.constructor.name}: got [${Array.from(C).join(', ')}], want [${want.join(', ')}])`;
      }
    }
  }
  return '';
}

function errorMessage(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const first = String(err?.message ?? e).split('\n')[0]!;
  return err?.code ? `${err.code}: ${first}` : first;
}

let warnedCore = false;

/**
 * Loads the addon at `path` without caching (tests use it on other paths; everything else should call
 * loadNativeKernels()). Prepares the OpenBLAS environment first. Never throws.
 */
export function loadNativeAddon(path: string): NativeLoad {
  const env = prepareNativeEnv();
  const base: NativeLoad = {
    kernels: null, reason: '', openblasCore: null, openblasConfig: null, openblasThreads: null,
    coretype: env.coretype, coretypeSource: env.coretypeSource, notice: '', addonPath: path,
  };
  if (!existsSync(path)) return { ...base, reason: REASON_NOT_BUILT };
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    return { ...base, reason: `loading ${path} failed: ${errorMessage(e)}` };
  }
  if (addon?.abiVersion !== NATIVE_ABI_VERSION || KERNEL_FUNCTIONS.some((f) => typeof addon[f] !== 'function') || typeof addon.buildInfo !== 'function' ||
    typeof addon.misalignment !== 'function' || typeof addon.gemmBuiltinDense !== 'function') {
    return {
      ...base,
      reason: `${path} is stale (ABI ${String(addon?.abiVersion)}, expected ${NATIVE_ABI_VERSION}): rebuild it with npm run install -w @sweeplab/nn-core`,
    };
  }
  let core: string | null, config: string | null, threads: number | null, build: NativeBuild, bf16: NativeBf16;
  try {
    build = addon.buildInfo();
    bf16 = addon.bf16Support();
    core = addon.openblasCorename?.() ?? null;
    config = addon.openblasConfig?.() ?? null;
    threads = addon.openblasNumThreads?.() ?? null;
    const bad = selfTest(addon);
    if (bad !== '') return { ...base, reason: bad, openblasCore: core, openblasConfig: config, openblasThreads: threads, build };
  } catch (e) {
    return { ...base, reason: `the addon loaded but calling it failed: ${errorMessage(e)}` };
  }
  let notice = '';
  if (core !== null && env.coretype !== null && core.toLowerCase() !== env.coretype.toLowerCase()) {
    notice = `OpenBLAS runs its '${core}' kernels although OPENBLAS_CORETYPE=${env.coretype} was asked for` +
      (env.reachesOpenblas
        ? ' (OpenBLAS was loaded before nn-core set it, or does not know that core)'
        : ': the addon was first loaded in a worker thread, whose process.env OpenBLAS does not see; call ' +
          "prepareNativeEnv() from '@sweeplab/nn-core' in the main thread before creating the pool (or pass env: SHARE_ENV)");
    if (!warnedCore) {
      warnedCore = true;
      process.emitWarning(`nn-core: ${notice}`, { code: 'SWEEPLAB_OPENBLAS_CORE' });
    }
  }
  const tier: KernelTier = build.gemm === 'openblas' ? 'openblas' : 'builtin';
  const kernels: Kernels = Object.freeze({
    backend: 'native' as const,
    tier,
    label: nativeTierLabel(build, core),
    gemm: addon.gemm,
    linearAct: addon.linearAct,
    linearBackward: addon.linearBackward,
    weightGradStep: addon.weightGradStep,
    biasAct: addon.biasAct,
    actBackward: addon.actBackward,
    outputLoss: addon.outputLoss,
    gatherBatch: addon.gatherBatch,
    colSum: addon.colSum,
    axpy: addon.axpy,
    sumSq: addon.sumSq,
    sgdStep: addon.sgdStep,
    momentumStep: addon.momentumStep,
    adamStep: addon.adamStep,
    alloc: (dtype: 'float32' | 'float64', n: number): FloatArray => alignedAlloc(addon, dtype, n),
  });
  const bf16Kernels = bf16.kernel === null ? null : withBf16Gemm(kernels, addon.gemmBf16, addon.linearActBf16, addon.linearBackwardBf16, addon.weightGradStepBf16,
    `${kernels.label}, bfloat16 ${bf16.kernel === 'amx' ? 'AMX' : 'AVX512_BF16'}`);
  return { ...base, kernels, openblasCore: core, openblasConfig: config, openblasThreads: threads, notice, build, gemmBuiltin: addon.gemmBuiltin, gemmBuiltinDense: addon.gemmBuiltinDense, bf16, bf16Kernels };
}

let cached: NativeLoad | null = null;

/**
 * The native kernels, loaded once per thread from build/Release/nn_core.node, or `kernels: null` with the
 * reason. Sets up the OpenBLAS environment first (see prepareNativeEnv). Never throws.
 */
export function loadNativeKernels(): NativeLoad {
  if (cached === null) cached = loadNativeAddon(nativeAddonPath());
  return cached;
}
