// Element reads for the numeric loops, under noUncheckedIndexedAccess.
// The compiler types every typed-array read `a[i]` as `number | undefined`. The loops of this package read only
// indices that were checked once at the API boundary (row indices < the number of rows, bytes < 256 into a
// 256-entry table, labels < numClasses), so a read is always a number there. These accessors say so in one place
// instead of a `!` on every read: an out-of-range index gives NaN, which is what arithmetic on the missing element
// gave anyway. One accessor per array type keeps each read site monomorphic; V8 inlines them, and the `?? NaN`
// of an in-bounds read folds away (bench/load.bench.ts measures the gather loop).

/** a[i] of a byte array (pixels, labels). */
export const byteAt = (a: Uint8Array, i: number): number => a[i] ?? NaN;

/** a[i] of a Uint32Array (row indices). */
export const u32At = (a: Uint32Array, i: number): number => a[i] ?? NaN;

/** a[i] of a Float32Array. */
export const f32At = (a: Float32Array, i: number): number => a[i] ?? NaN;

/** a[i] of a Float64Array. */
export const f64At = (a: Float64Array, i: number): number => a[i] ?? NaN;
