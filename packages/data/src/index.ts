// Public API of @sweeplab/data: IDX files, MNIST / Fashion-MNIST / user IDX datasets, subsets and preprocessing.
export { IdxFormatError, DataSpecError } from './errors.js';
export type { IdxErrorCode, DataSpecErrorCode } from './errors.js';
export { parseIdx, encodeIdx, readIdxFile, writeIdxFile, MAX_IDX_DATA_BYTES } from './idx.js';
export { FileAccessError, fileKind, openRegular, readAt, readRegularFile, regularFileSize } from './files.js';
export type { FileAccessCode, FileKind } from './files.js';
export type { IdxArray } from './idx.js';
export { describeData, loadData, DATA_DEFAULTS } from './load.js';
export { oneHot } from './preprocess.js';
export type {
  FloatArray,
  SubsetSpec,
  DataFiles,
  DataSpec,
  Split,
  LoadedData,
  DataInfo,
  DescribeOptions,
  LoadOptions,
} from './types.js';
