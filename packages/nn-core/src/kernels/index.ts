/**
 * Kernel selection: 'js' (the TypeScript reference), 'native' (the N-API addon over OpenBLAS) or 'auto'
 * (native when it loads, else js). The env variable SWEEPLAB_KERNELS=js|native|auto replaces 'auto' and the
 * default; an explicit 'js' or 'native' argument wins over it.
 */
import { isMainThread } from 'node:worker_threads';
import { NnCoreError } from '../errors.js';
import { jsKernels } from './js.js';
import { loadNativeKernels } from './native.js';
import type { KernelBackend, Kernels } from './types.js';

export type KernelChoice = 'js' | 'native' | 'auto';

export interface KernelInfo {
  backend: KernelBackend;
  /** why the native kernels are not in use ('' when they are) */
  reason: string;
  /** OpenBLAS core in use by the native kernels, e.g. "SkylakeX" (null with js) */
  openblasCore: string | null;
}

export const NATIVE_HINT = 'apt-get install libopenblas-dev && npm run install -w @sweeplab/nn-core';

/** What the selection needs to know about the addon. */
export interface NativeStatus { kernels: Kernels | null; reason: string; openblasCore: string | null }

/**
 * The selection rule, free of process state (tests drive it): returns the kernels and what to report, or
 * throws NnCoreError. `onFallback(reason)` is called when 'auto' falls back to js.
 */
export function selectKernels(
  choice: KernelChoice | undefined, env: string | undefined, native: () => NativeStatus, onFallback: (reason: string) => void,
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
  if (c === 'js') return { kernels: jsKernels, info: { backend: 'js', reason: `${via} requested`, openblasCore: null } };
  const n = native();
  if (n.kernels !== null) return { kernels: n.kernels, info: { backend: 'native', reason: '', openblasCore: n.openblasCore } };
  if (c === 'native') {
    throw new NnCoreError('NATIVE_UNAVAILABLE', `${via} was requested but the native kernels are unavailable (${n.reason}); fix: ${NATIVE_HINT}, or use kernels 'auto' or 'js'`);
  }
  onFallback(n.reason);
  return { kernels: jsKernels, info: { backend: 'js', reason: n.reason, openblasCore: null } };
}

let native: NativeStatus | null = null;
let warned = false;

function loadNative(): NativeStatus {
  if (native === null) {
    try {
      const n = loadNativeKernels(); // documented never to throw; guarded anyway
      native = { kernels: n.kernels, reason: n.reason, openblasCore: n.openblasCore };
    } catch (e) {
      native = { kernels: null, reason: `loading the addon threw: ${(e as Error).message}`, openblasCore: null };
    }
  }
  return native;
}

/** The one stderr line when 'auto' falls back, once per process (see fallbackLine). Exported for tests only. */
export function warnFallback(reason: string): void {
  // Worker threads stay quiet: the main thread (which calls kernelInfo() to record the environment)
  // prints the line, instead of one line per pool thread.
  if (warned || !isMainThread) return;
  warned = true;
  process.stderr.write(fallbackLine(reason));
}

/** The fallback notice: why, and how to get the fast path. */
export function fallbackLine(reason: string): string {
  return `sweeplab: using the TypeScript kernels (${reason}); for the fast path: ${NATIVE_HINT}\n`;
}

/** The kernels for `choice` (default 'auto', see the module comment). Throws NnCoreError when 'native' is unavailable. */
export function getKernels(choice?: KernelChoice): Kernels {
  return selectKernels(choice, process.env.SWEEPLAB_KERNELS, loadNative, warnFallback).kernels;
}

/** Which backend getKernels(choice) picks, why, and the OpenBLAS core. Never throws for an unavailable addon. */
export function kernelInfo(choice?: KernelChoice): KernelInfo {
  try {
    return selectKernels(choice, process.env.SWEEPLAB_KERNELS, loadNative, warnFallback).info;
  } catch (e) {
    if (e instanceof NnCoreError && e.code === 'NATIVE_UNAVAILABLE') {
      return { backend: 'js', reason: loadNative().reason, openblasCore: null };
    }
    throw e;
  }
}
