// Loader of the N-API kernel addon (issue 6). Until the addon exists this reports why it is unavailable.
import type { Kernels } from './types.js';

export interface NativeLoad {
  kernels: Kernels | null;
  /** why the addon is not in use (empty when it is) */
  reason: string;
  /** OpenBLAS core in use, e.g. "SkylakeX" (null when not loaded) */
  openblasCore: string | null;
}

export function loadNativeKernels(): NativeLoad {
  return { kernels: null, reason: 'the native addon is not built in this version', openblasCore: null };
}
