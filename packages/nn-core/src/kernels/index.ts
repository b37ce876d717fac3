/**
 * Kernel selection: 'js' (the TypeScript reference), 'native' (the N-API addon: OpenBLAS or its built-in GEMM)
 * or 'auto' (native when it loads, else js). The env variable SWEEPLAB_KERNELS=js|native|auto replaces 'auto'
 * and the default; an explicit 'js' or 'native' argument wins over it.
 *
 * Tiers, fastest first (issue 14): 'openblas' = native (OpenBLAS <core>), 'builtin' = native (built-in GEMM,
 * <isa>), 'typescript'. kernelInfo() names the tier in use and what to install for the next one up.
 */
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { NnCoreError } from '../errors.js';
import { jsBf16Kernels } from './bf16.js';
import { jsKernels } from './js.js';
import { loadNativeKernels, nativeTierLabel, type NativeBuild, type NativeLoad } from './native.js';
import type { KernelBackend, Kernels, KernelTier } from './types.js';

export type KernelChoice = 'js' | 'native' | 'auto';

export interface KernelInfo {
  backend: KernelBackend;
  /** why the native kernels are not in use ('' when they are) */
  reason: string;
  /** OpenBLAS core in use by the native kernels, e.g. "SkylakeX" (null with js and in the built-in tier) */
  openblasCore: string | null;
  /**
   * The tier in use, as printed: 'native (OpenBLAS SkylakeX)', 'native (built-in GEMM, AVX-512)' or 'typescript'.
   */
  tier: string;
  /** the same, as a code: 'openblas' | 'builtin' | 'typescript' */
  tierId: KernelTier;
  /**
   * What to do for the next tier up, e.g. 'apt-get install libopenblas-dev && npm run install -w @sweeplab/nn-core';
   * null on the top tier.
   */
  next: string | null;
  /** the built-in GEMM's instruction set ('AVX-512', 'AVX2+FMA', 'SSE2', 'NEON', 'plain C'); null with js */
  isa: string | null;
}

/** The command that rebuilds the addon (node-gyp is only on PATH under npm). */
export const REBUILD_COMMAND = 'npm run install -w @sweeplab/nn-core';
/** From the built-in tier to OpenBLAS. */
export const NATIVE_HINT = `apt-get install libopenblas-dev && ${REBUILD_COMMAND}`;
/** From the TypeScript kernels to the built-in GEMM (it needs only a C compiler). */
export const COMPILER_HINT = `apt-get install build-essential && ${REBUILD_COMMAND}`;

/** What the selection needs to know about the addon. */
export interface NativeStatus { kernels: Kernels | null; reason: string; openblasCore: string | null; build?: NativeBuild | null }

/** The KernelInfo of a tier (exported for tests). `explicitJs`: js was asked for while native is available. */
export function tierInfo(native: NativeStatus, useNative: boolean, reason: string, explicitJs = false): KernelInfo {
  if (useNative && native.kernels !== null) {
    const gemm = native.kernels.tier === 'builtin' ? 'builtin' : 'openblas';
    const build: NativeBuild = native.build ?? { gemm, isa: 'unknown', march: 'unknown', compiler: 'unknown', fusedF32: gemm, fusedF64: gemm };
    const tierId: KernelTier = build.gemm === 'openblas' ? 'openblas' : 'builtin';
    return {
      backend: 'native', reason: '', openblasCore: tierId === 'openblas' ? native.openblasCore : null,
      tier: nativeTierLabel(build, native.openblasCore), tierId, next: tierId === 'openblas' ? null : NATIVE_HINT, isa: build.isa,
    };
  }
  return {
    backend: 'js', reason, openblasCore: null, tier: 'typescript', tierId: 'typescript',
    next: explicitJs ? "kernels 'auto' (and SWEEPLAB_KERNELS unset) to use the native kernels, which are built" : COMPILER_HINT,
    isa: null,
  };
}

/**
 * The selection rule, free of process state (tests drive it): returns the kernels and what to report, or
 * throws NnCoreError. `onFallback(reason, next)` is called when 'auto' falls back to js.
 */
export function selectKernels(
  choice: KernelChoice | undefined, env: string | undefined, native: () => NativeStatus, onFallback: (reason: string, next: string) => void,
): { kernels: Kernels; info: KernelInfo } {
  if (choice !== undefined && choice !== 'js' && choice !== 'native' && choice !== 'auto') {
    throw new NnCoreError('BAD_OPTIONS', `kernels: '${String(choice)}' is not a kernel choice; use 'js', 'native' or 'auto'`);
  }
  let c: KernelChoice = choice ?? 'auto';
  let via = `kernels: '${c}'`;
  if (c === 'auto' && env !== undefined && env !== '') {
    if (env !== 'js' && env !== 'native' && env !== 'auto') {
      throw new NnCoreError('BAD_OPTIONS', `env SWEEPLAB_KERNELS='${env}' is not a kernel choice; set it to js, native or auto (or unset it)`);
    }
    c = env;
    via = `SWEEPLAB_KERNELS=${env}`;
  }
  if (c === 'js') {
    const n = native();
    return { kernels: jsKernels, info: tierInfo(n, false, `${via} requested`, n.kernels !== null) };
  }
  const n = native();
  if (n.kernels !== null) return { kernels: n.kernels, info: tierInfo(n, true, '') };
  if (c === 'native') {
    throw new NnCoreError('NATIVE_UNAVAILABLE', `${via} was requested but the native kernels are unavailable (${n.reason}); fix: ${COMPILER_HINT}, or use kernels 'auto' or 'js'`);
  }
  const info = tierInfo(n, false, n.reason);
  onFallback(n.reason, info.next ?? COMPILER_HINT);
  return { kernels: jsKernels, info };
}

let native: NativeStatus | null = null;
let warned = false;

function loadNative(): NativeStatus {
  if (native === null) {
    try {
      const n = loadNativeKernels(); // documented never to throw; guarded anyway
      native = { kernels: n.kernels, reason: n.reason, openblasCore: n.openblasCore, build: n.build ?? null };
    } catch (e) {
      native = { kernels: null, reason: `loading the addon threw: ${(e as Error).message}`, openblasCore: null, build: null };
    }
  }
  return native;
}

/** The one stderr line when 'auto' falls back, once per process (see fallbackLine). Exported for tests only. */
export function warnFallback(reason: string, next: string = COMPILER_HINT): void {
  // Worker threads stay quiet: the main thread (which calls kernelInfo() to record the environment)
  // prints the line, instead of one line per pool thread.
  if (warned || !isMainThread) return;
  warned = true;
  process.stderr.write(fallbackLine(reason, next));
}

/** The fallback notice: why, and how to get the fast path. */
export function fallbackLine(reason: string, next: string = COMPILER_HINT): string {
  return `sweeplab: using the TypeScript kernels (${reason}); for the native kernels: ${next}\n`;
}

/** The kernels for `choice` (default 'auto', see the module comment). Throws NnCoreError when 'native' is unavailable. */
export function getKernels(choice?: KernelChoice): Kernels {
  return selectKernels(choice, process.env.SWEEPLAB_KERNELS, loadNative, warnFallback).kernels;
}

/** Which backend and tier getKernels(choice) picks, why, and what the next tier up needs. Never throws for an unavailable addon. */
export function kernelInfo(choice?: KernelChoice): KernelInfo {
  try {
    return selectKernels(choice, process.env.SWEEPLAB_KERNELS, loadNative, warnFallback).info;
  } catch (e) {
    if (e instanceof NnCoreError && e.code === 'NATIVE_UNAVAILABLE') return tierInfo(loadNative(), false, loadNative().reason);
    throw e;
  }
}

/** Whether this machine can train `dtype: 'bfloat16'` on the native kernels (see bf16Support). */
export interface Bf16Support {
  supported: boolean;
  /** the kernel bfloat16 GEMMs use: 'amx' (Intel AMX, TDPBF16PS) or 'avx512bf16' (VDPBF16PS); null when unsupported */
  kernel: 'amx' | 'avx512bf16' | null;
  /** what is missing when unsupported: a CPU feature ('AVX512_BF16', ...) or 'the native addon'; null when supported */
  missing: string | null;
  /** one sentence for a validation error (what is missing, which CPUs have it, or how to build the addon); '' when supported */
  reason: string;
}

/** CPUs with AVX512_BF16, for messages. */
export const BF16_CPUS = 'Intel Cooper Lake, Sapphire Rapids or later Xeon, AMD Zen 4 or later';

function cpuHasFlag(flag: string): boolean | null {
  try {
    const m = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1]!.split(/\s+/).includes(flag) : null;
  } catch {
    return null;
  }
}

/**
 * Whether this CPU (with the native addon) supports `dtype: 'bfloat16'`, and if not, what is missing. The
 * runner turns `supported: false` into a validation error (exit 2): bfloat16 never falls back silently.
 * Never throws.
 */
export function bf16Support(): Bf16Support {
  return bf16SupportFrom(loadNativeKernels(), cpuHasFlag('avx512_bf16'));
}

/** bf16Support's rule, free of process state (tests drive it). `cpuFlag`: /proc/cpuinfo has avx512_bf16 (null: unknown). */
export function bf16SupportFrom(n: Pick<NativeLoad, 'kernels' | 'reason' | 'bf16'>, cpuFlag: boolean | null): Bf16Support {
  if (n.kernels === null || !n.bf16) {
    const cpu = cpuFlag === false ? ' (and this CPU lacks AVX512_BF16 too)' : '';
    return {
      supported: false, kernel: null, missing: 'the native addon',
      reason: `dtype bfloat16 needs the native kernels, which are unavailable (${n.reason || 'not loaded'})${cpu}; fix: ${COMPILER_HINT}, or use dtype float32`,
    };
  }
  if (n.bf16.kernel === null) {
    const missing = n.bf16.missing ?? 'AVX512_BF16';
    return {
      supported: false, kernel: null, missing,
      reason: `dtype bfloat16 needs a CPU with ${missing} (${BF16_CPUS}); this CPU does not have it: use dtype float32`,
    };
  }
  return { supported: true, kernel: n.bf16.kernel, missing: null, reason: '' };
}

/**
 * Kernels for a bfloat16 model: the native bf16 kernels, or the TypeScript emulation when the TypeScript kernels
 * were asked for explicitly (kernels 'js' or SWEEPLAB_KERNELS=js). Throws NnCoreError('BF16_UNSUPPORTED') with
 * bf16Support()'s reason otherwise: never a silent fallback.
 */
export function getBf16Kernels(choice?: KernelChoice): Kernels {
  const k = getKernels(choice);
  if (k.backend === 'js') {
    const env = process.env.SWEEPLAB_KERNELS;
    const explicit = choice === 'js' || ((choice === undefined || choice === 'auto') && env === 'js');
    if (explicit) return jsBf16Kernels;
    const s = bf16Support();
    throw new NnCoreError('BF16_UNSUPPORTED', s.reason);
  }
  const n = loadNativeKernels();
  if (n.bf16Kernels && k === n.kernels) return n.bf16Kernels;
  throw new NnCoreError('BF16_UNSUPPORTED', bf16Support().reason || 'dtype bfloat16: no bfloat16 kernels for these native kernels');
}
