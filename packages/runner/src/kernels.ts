/**
 * nn-core's kernel environment as the runner sees it: `prepareNativeEnv()` (OpenBLAS core type and threads) must
 * run in the main thread before the addon loads and before worker threads copy the environment.
 */
import { kernelInfo, prepareNativeEnv, type KernelInfo } from '@sweeplab/nn-core';
import type { KernelsSetting } from './exec/types.js';

/** The backend in use, why the native kernels are not (reason '' when they are), and the OpenBLAS core. */
export type KernelSummary = KernelInfo;

let prepared = false;

/** Sets up the native kernels' environment in the main thread, once, before any worker thread starts. */
export function prepareKernels(): void {
  if (prepared) return;
  prepared = true;
  prepareNativeEnv();
}

/** The backend `choice` resolves to here, and the OpenBLAS core in use. */
export function kernelSummary(choice?: KernelsSetting): KernelSummary {
  prepareKernels();
  return kernelInfo(choice);
}
