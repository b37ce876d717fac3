// describeData (plan and validate: headers and labels only) and loadData (subset + scale into float arrays).
import { DataSpecError, IdxFormatError } from './errors.js';
import { readIdxHeaderFile } from './idx.js';
import { countClasses, gatherRows, pixelStats, rangeLut, standardizeLut } from './preprocess.js';
import { FASHION_MNIST_DIR, FILE_NAMES, fingerprintOf, hashCached, readCached, resolveSources, ROLES, type Role, type Sources } from './sources.js';
import { DEFAULT_SEED, resolveSubset, resolveValidation, selectIndices, type ResolvedSubset } from './subset.js';
import type { DataInfo, DataSpec, DescribeOptions, FloatArray, LoadedData, LoadOptions, Split } from './types.js';

/**
 * Defaults applied to a DataSpec and to loadData's options, and the file names looked up in a `path` directory
 * (each may also carry a `.gz` suffix). `train`/`test` default to the whole file.
 */
export const DATA_DEFAULTS = Object.freeze({
  scale: Object.freeze([0, 1]) as readonly [number, number],
  dtype: 'float64' as const,
  sample: 'first' as const,
  seed: DEFAULT_SEED,
  validation: 0,
  fashionMnistDir: FASHION_MNIST_DIR,
  fileNames: FILE_NAMES,
});

const shape = (dims: readonly number[]): string => `(${dims.join(', ')})`;

interface Plan {
  sources: Sources;
  inputSize: number;
  numClasses: number;
  trainLabels: Uint8Array; // (nTrainFile) whole file
  testLabels: Uint8Array; // (nTestFile) whole file
  train: ResolvedSubset;
  test: ResolvedSubset;
  validation: number;
  scale: [number, number] | 'standardize';
}

function resolveScale(scale: DataSpec['scale']): [number, number] | 'standardize' {
  if (scale === undefined) return [DATA_DEFAULTS.scale[0], DATA_DEFAULTS.scale[1]];
  if (scale === 'standardize') return scale;
  if (Array.isArray(scale) && scale.length === 2 && scale.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return [scale[0], scale[1]];
  }
  throw new DataSpecError('BAD_SCALE', 'data.scale', `${JSON.stringify(scale)} must be [a, b] with finite numbers (e.g. [0, 1] or [-1, 1]) or 'standardize'`);
}

/** Checks ranks, counts and image sizes of the four files; returns inputSize. */
function checkShapes(files: Record<Role, string>, dims: Record<Role, number[]>): number {
  for (const r of ['train_images', 'test_images'] as const) {
    if (dims[r].length !== 3) {
      throw new IdxFormatError('BAD_DIMS', files[r],
        `images must be 3-D (n, rows, cols) but this file is ${dims[r].length}-D ${shape(dims[r])}; is it a labels file? check data.files.${r}`);
    }
  }
  for (const r of ['train_labels', 'test_labels'] as const) {
    if (dims[r].length !== 1) {
      throw new IdxFormatError('BAD_DIMS', files[r],
        `labels must be 1-D (n) but this file is ${dims[r].length}-D ${shape(dims[r])}; is it an images file? check data.files.${r}`);
    }
  }
  for (const [img, lab] of [['train_images', 'train_labels'], ['test_images', 'test_labels']] as const) {
    if (dims[img][0] !== dims[lab][0]) {
      throw new IdxFormatError('MISMATCHED_PAIR', files[lab],
        `${dims[lab][0]} labels but ${files[img]} has ${dims[img][0]} images; use the labels file that belongs to those images`);
    }
  }
  const [, tr, tc] = dims.train_images as [number, number, number];
  const [, sr, sc] = dims.test_images as [number, number, number];
  if (tr !== sr || tc !== sc) {
    throw new IdxFormatError('MISMATCHED_PAIR', files.test_images,
      `test images are ${sr}x${sc} but the training images (${files.train_images}) are ${tr}x${tc}; use train and test files of the same image size`);
  }
  return tr * tc;
}

function maxLabel(labels: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > m) m = labels[i]!;
  return m;
}

/**
 * Resolves and checks everything loadData needs except the pixels. `full` reads (and caches) the image files; otherwise
 * uncompressed image files are checked from their header and size only.
 */
function plan(spec: DataSpec, opts: DescribeOptions, full: boolean): { plan: Plan; fingerprint: string; images: Record<'train' | 'test', Uint8Array> | null } {
  const sources = resolveSources(spec, opts);
  const scale = resolveScale(spec.scale); // spec errors before any file is read
  const { files, expectedSha, hint } = sources;
  const wantSha = expectedSha === null;
  const dims = {} as Record<Role, number[]>;
  const shas = {} as Record<Role, string>;
  const data = {} as Record<Role, Uint8Array>;
  for (const r of ROLES) {
    const isImages = r.endsWith('images');
    const header = isImages && !full ? readIdxHeaderFile(files[r], hint) : null;
    if (header) {
      dims[r] = header.dims;
      if (wantSha) shas[r] = hashCached(files[r], hint);
    } else {
      const { arr, sha256 } = readCached(files[r], hint, expectedSha?.[r] ?? null, wantSha);
      dims[r] = arr.dims;
      data[r] = arr.data;
      if (sha256 !== null) shas[r] = sha256;
    }
  }
  const inputSize = checkShapes(files, dims);
  const trainLabels = data.train_labels!;
  const testLabels = data.test_labels!;
  const numClasses = Math.max(maxLabel(trainLabels), maxLabel(testLabels)) + 1;
  const train = resolveSubset(spec.train, trainLabels.length, 'data.train', 'training images');
  const test = resolveSubset(spec.test, testLabels.length, 'data.test', 'test images');
  const validation = resolveValidation(spec.validation, train.count);
  const fingerprint = fingerprintOf(expectedSha ?? shas);
  const images = full ? { train: data.train_images!, test: data.test_images! } : null;
  return { plan: { sources, inputSize, numClasses, trainLabels, testLabels, train, test, validation, scale }, fingerprint, images };
}

/**
 * Validates a data spec and reports the split sizes, input size, class count and fingerprint without loading pixels.
 * Uncompressed image files are checked from their 16-byte header and file size (plus a content hash for non-mnist
 * datasets, cached per process); label files are read whole (they are small); `.gz` files are decompressed.
 * @throws DataSpecError for a bad spec, IdxFormatError for a bad or missing file.
 */
export function describeData(spec: DataSpec, opts: DescribeOptions = {}): DataInfo {
  const { plan: p, fingerprint } = plan(spec, opts, false);
  return {
    inputSize: p.inputSize,
    numClasses: p.numClasses,
    trainSize: p.train.count - p.validation,
    validationSize: p.validation,
    testSize: p.test.count,
    fingerprint,
    files: ROLES.map((r) => p.sources.files[r]),
  };
}

function makeSplit(images: Uint8Array, fileLabels: Uint8Array, rows: Uint32Array, inputSize: number, lut: FloatArray): Split {
  const n = rows.length;
  const x: FloatArray = lut instanceof Float32Array ? new Float32Array(n * inputSize) : new Float64Array(n * inputSize);
  gatherRows(x, images, rows, inputSize, lut);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = fileLabels[rows[i]!]!;
  return { x, labels, n };
}

/**
 * Loads a dataset: selects the train/test subsets, carves the validation split from the end of the training subset,
 * and scales pixels into fresh Float32Array/Float64Array buffers. Parsed file bytes are cached per process (and
 * mnist checksums verified once), so repeated loads of the same files only redo the subset and scaling.
 * @throws DataSpecError for a bad spec, IdxFormatError for a bad or missing file (CHECKSUM for damaged mnist files).
 */
export function loadData(spec: DataSpec, opts: LoadOptions = {}): LoadedData {
  const dtype = opts.dtype ?? DATA_DEFAULTS.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DataSpecError('BAD_ARGUMENT', 'loadData.dtype', `${JSON.stringify(dtype)} must be 'float32' or 'float64'`);
  }
  const { plan: p, fingerprint, images } = plan(spec, opts, true);
  const trainAll = selectIndices(p.train, p.trainLabels, p.numClasses);
  const nTrain = trainAll.length - p.validation;
  const trainRows = trainAll.subarray(0, nTrain);
  const valRows = trainAll.subarray(nTrain);
  const testRows = selectIndices(p.test, p.testLabels, p.numClasses);

  const lut = dtype === 'float32' ? new Float32Array(256) : new Float64Array(256);
  if (p.scale === 'standardize') {
    const { mean, std } = pixelStats(images!.train, trainRows, p.inputSize);
    standardizeLut(lut, mean, std);
  } else {
    rangeLut(lut, p.scale[0], p.scale[1]);
  }
  const train = makeSplit(images!.train, p.trainLabels, trainRows, p.inputSize, lut);
  const validation = p.validation > 0 ? makeSplit(images!.train, p.trainLabels, valRows, p.inputSize, lut) : null;
  const test = makeSplit(images!.test, p.testLabels, testRows, p.inputSize, lut);
  return {
    inputSize: p.inputSize,
    numClasses: p.numClasses,
    train,
    test,
    validation,
    classCounts: countClasses(train.labels, p.numClasses),
    fingerprint,
    source: { dataset: p.sources.dataset, files: ROLES.map((r) => p.sources.files[r]) },
  };
}
