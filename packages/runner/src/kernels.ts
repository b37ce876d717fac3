/**
 * nn-core's kernel environment as the runner sees it. `prepareNativeEnv()` (OpenBLAS core type and threads, set
 * before the addon loads and before worker threads copy the environment) arrives with the native addon (issue 6);
 * until then this is a no-op.
 */
import * as nn from '@sweeplab/nn-core';
import type { KernelsSetting } from './exec/types.js';

export interface KernelSummary {
  backend: string;
  openblasCore: string | null;
  /** why the native kernels are not in use ('' when they are) */
  reason: string;
}

const optional = nn as unknown as Record<string, unknown>;

let prepared = false;

/** Sets up the native kernels' environment in the main thread, once, before any worker thread starts. */
export function prepareKernels(): void {
  if (prepared) return;
  prepared = true;
  const f = optional.prepareNativeEnv;
  if (typeof f === 'function') (f as () => void)();
}

/** The backend `choice` resolves to here, and the OpenBLAS core in use. */
export function kernelSummary(choice?: KernelsSetting): KernelSummary {
  prepareKernels();
  const f = optional.kernelInfo;
  if (typeof f !== 'function') return { backend: 'js', openblasCore: null, reason: 'this nn-core has no kernelInfo()' };
  const info = (f as (c?: KernelsSetting) => { backend: string; openblasCore?: string | null; reason?: string })(choice);
  return { backend: info.backend, openblasCore: info.openblasCore ?? null, reason: info.reason ?? '' };
}
