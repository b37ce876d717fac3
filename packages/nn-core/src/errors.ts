/** Typed errors of nn-core. Each message is one line naming the file or option, the place and the fix. */

export type WeightsFileErrorCode =
  | 'NOT_FOUND'      // the file, directory or archive entry does not exist
  | 'LAYER_COUNT'    // a different number of W1..WL arrays than the model has layers
  | 'SHAPE'          // an array is not (n_{l-1} + 1, n_l)
  | 'FORTRAN_ORDER'  // saved in Fortran (column-major) order
  | 'DTYPE'          // not float32/float64
  | 'CORRUPT';       // not a readable .npy / .npz (bad magic, bad header, truncated data)

/** Bad initial-weights file (.npy directory or .npz archive). */
export class WeightsFileError extends Error {
  override readonly name = 'WeightsFileError';
  constructor(
    readonly code: WeightsFileErrorCode,
    /** the file (or directory / archive) the problem is in */
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export type NnCoreErrorCode =
  | 'BAD_SPEC'            // model spec: layer sizes, activation, output/loss pair
  | 'BAD_OPTIONS'         // training or init options
  | 'BAD_DATA'            // data shape, dtype or labels do not fit the model
  | 'NATIVE_UNAVAILABLE'  // kernels: 'native' requested but the addon cannot load
  | 'BF16_UNSUPPORTED';   // dtype bfloat16 on a CPU (or build) without a bfloat16 kernel

/** Bad model spec, options or data given to nn-core's API. */
export class NnCoreError extends Error {
  override readonly name = 'NnCoreError';
  constructor(readonly code: NnCoreErrorCode, message: string) {
    super(message);
  }
}
