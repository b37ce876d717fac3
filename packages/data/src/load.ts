// describeData (plan and validate: headers and labels only) and loadData (subset + scale into float arrays).
import { DataSpecError, IdxFormatError } from './errors.js';
import { readIdxHeaderFile } from './idx.js';
import { countClasses, gatherRows, pixelStats, rangeLut, standardizeLut } from './preprocess.js';
import { byRole, FASHION_MNIST_DIR, FILE_NAMES, fingerprintOf, hashCached, readCached, resolveSources, ROLES, type Role, type Sources } from './sources.js';
import { DEFAULT_SEED, resolveSubset, resolveValidation, selectIndices, type ResolvedSubset } from './subset.js';
import { byteAt, u32At } from './typed.js';
import type { DataInfo, DataSpec, DescribeOptions, FloatArray, LoadedData, LoadOptions, Split } from './types.js';

/**
 * Defaults applied to a DataSpec and to loadData's options, and the file names looked up in a `path` directory
 * (each may also carry a `.gz` suffix). `train`/`test` default to the whole file.
 */
export const DATA_DEFAULTS = Object.freeze({
  scale: Object.freeze<[number, number]>([0, 1]),
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

/** The (n, rows, cols) of an images file; BAD_DIMS unless it is 3-D. */
function imageDims(dims: readonly number[], file: string, role: Role): [n: number, rows: number, cols: number] {
  const [n, rows, cols, ...more] = dims;
  if (n === undefined || rows === undefined || cols === undefined || more.length > 0) {
    throw new IdxFormatError('BAD_DIMS', file,
      `images must be 3-D (n, rows, cols) but this file is ${dims.length}-D ${shape(dims)}; is it a labels file? check data.files.${role}`);
  }
  return [n, rows, cols];
}

/** The n of a labels file; BAD_DIMS unless it is 1-D. */
function labelCount(dims: readonly number[], file: string, role: Role): number {
  const [n, ...more] = dims;
  if (n === undefined || more.length > 0) {
    throw new IdxFormatError('BAD_DIMS', file,
      `labels must be 1-D (n) but this file is ${dims.length}-D ${shape(dims)}; is it an images file? check data.files.${role}`);
  }
  return n;
}

/** Checks ranks, counts and image sizes of the four files; returns inputSize. */
function checkShapes(files: Record<Role, string>, dims: Record<Role, number[]>): number {
  const [nTrain, tr, tc] = imageDims(dims.train_images, files.train_images, 'train_images');
  const [nTest, sr, sc] = imageDims(dims.test_images, files.test_images, 'test_images');
  const pairs = [
    { img: 'train_images', lab: 'train_labels', images: nTrain },
    { img: 'test_images', lab: 'test_labels', images: nTest },
  ] as const;
  const labels = pairs.map(({ lab }) => labelCount(dims[lab], files[lab], lab));
  for (const [i, { img, lab, images }] of pairs.entries()) {
    if (labels[i] !== images) {
      throw new IdxFormatError('MISMATCHED_PAIR', files[lab],
        `${labels[i]} labels but ${files[img]} has ${images} images; use the labels file that belongs to those images`);
    }
  }
  if (tr !== sr || tc !== sc) {
    throw new IdxFormatError('MISMATCHED_PAIR', files.test_images,
      `test images are ${sr}x${sc} but the training images (${files.train_images}) are ${tr}x${tc}; use train and test files of the same image size`);
  }
  return tr * tc;
}

function maxLabel(labels: Uint8Array): number {
  let m = 0;
  for (const label of labels) if (label > m) m = label;
  return m;
}

/** One file as plan() reads it: its dims, its bytes (null: checked from its header only), its content hash if asked. */
interface FileRead<Bytes extends Uint8Array | null> {
  dims: number[];
  data: Bytes;
  sha: string | null;
}
/** Reads one file; `expectedSha`: verify the stored bytes (mnist); `wantSha`: report the content hash. */
type Reader<Bytes extends Uint8Array | null> = (path: string, hint: string, expectedSha: string | null, wantSha: boolean) => FileRead<Bytes>;

/** The whole file, parsed (and cached per process). */
const readWhole: Reader<Uint8Array> = (path, hint, expectedSha, wantSha) => {
  const { arr, sha256 } = readCached(path, hint, expectedSha, wantSha);
  return { dims: arr.dims, data: arr.data, sha: sha256 };
};

/** An uncompressed file checked from its 16-byte header and size; a `.gz` file is read whole. */
const readHeader: Reader<Uint8Array | null> = (path, hint, expectedSha, wantSha) => {
  const header = readIdxHeaderFile(path, hint);
  if (header === null) return readWhole(path, hint, expectedSha, wantSha);
  return { dims: header.dims, data: null, sha: wantSha ? hashCached(path, hint) : null };
};

/** The four content hashes (each Reader returns its file's when `wantSha`). */
function contentHashes(reads: Record<Role, FileRead<Uint8Array | null>>): Record<Role, string> {
  return byRole((r) => {
    const { sha } = reads[r];
    if (sha === null) throw new Error(`@sweeplab/data internal error: no content hash was computed for ${r}`);
    return sha;
  });
}

/**
 * Resolves and checks everything loadData needs except the pixels. Label files are read whole; image files are read
 * with `readImages`: readWhole to load them, readHeader to only check them (uncompressed files: header and size).
 */
function plan<Bytes extends Uint8Array | null>(
  spec: DataSpec,
  opts: DescribeOptions,
  readImages: Reader<Bytes>,
): { plan: Plan; fingerprint: string; images: Record<'train' | 'test', Bytes> } {
  const sources = resolveSources(spec, opts);
  const scale = resolveScale(spec.scale); // spec errors before any file is read
  const { files, expectedSha, hint } = sources;
  const read = <B extends Uint8Array | null>(r: Role, reader: Reader<B>): FileRead<B> =>
    reader(files[r], hint, expectedSha?.[r] ?? null, expectedSha === null);
  // in ROLES order, so that the first bad file is the one reported
  const trainImages = read('train_images', readImages);
  const trainLabels = read('train_labels', readWhole);
  const testImages = read('test_images', readImages);
  const testLabels = read('test_labels', readWhole);
  const reads = { train_images: trainImages, train_labels: trainLabels, test_images: testImages, test_labels: testLabels };
  const inputSize = checkShapes(files, byRole((r) => reads[r].dims));
  const numClasses = Math.max(maxLabel(trainLabels.data), maxLabel(testLabels.data)) + 1;
  const train = resolveSubset(spec.train, trainLabels.data.length, 'data.train', 'training images');
  const test = resolveSubset(spec.test, testLabels.data.length, 'data.test', 'test images');
  const validation = resolveValidation(spec.validation, train.count);
  const fingerprint = fingerprintOf(expectedSha ?? contentHashes(reads));
  return {
    plan: { sources, inputSize, numClasses, trainLabels: trainLabels.data, testLabels: testLabels.data, train, test, validation, scale },
    fingerprint,
    images: { train: trainImages.data, test: testImages.data },
  };
}

/**
 * Validates a data spec and reports the split sizes, input size, class count and fingerprint without loading pixels.
 * Uncompressed image files are checked from their 16-byte header and file size (plus a content hash for non-mnist
 * datasets, cached per process); label files are read whole (they are small); `.gz` files are decompressed.
 * @throws DataSpecError for a bad spec, IdxFormatError for a bad or missing file.
 */
export function describeData(spec: DataSpec, opts: DescribeOptions = {}): DataInfo {
  const { plan: p, fingerprint } = plan(spec, opts, readHeader);
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
  for (let i = 0; i < n; i++) labels[i] = byteAt(fileLabels, u32At(rows, i));
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
  const { plan: p, fingerprint, images } = plan(spec, opts, readWhole);
  const trainAll = selectIndices(p.train, p.trainLabels, p.numClasses);
  const nTrain = trainAll.length - p.validation;
  const trainRows = trainAll.subarray(0, nTrain);
  const valRows = trainAll.subarray(nTrain);
  const testRows = selectIndices(p.test, p.testLabels, p.numClasses);

  const lut = dtype === 'float32' ? new Float32Array(256) : new Float64Array(256);
  if (p.scale === 'standardize') {
    const { mean, std } = pixelStats(images.train, trainRows, p.inputSize);
    standardizeLut(lut, mean, std);
  } else {
    rangeLut(lut, p.scale[0], p.scale[1]);
  }
  const train = makeSplit(images.train, p.trainLabels, trainRows, p.inputSize, lut);
  const validation = p.validation > 0 ? makeSplit(images.train, p.trainLabels, valRows, p.inputSize, lut) : null;
  const test = makeSplit(images.test, p.testLabels, testRows, p.inputSize, lut);
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
