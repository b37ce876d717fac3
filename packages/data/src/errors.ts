/**
 * Why an IDX file (or a pair of them) could not be used.
 * - `NOT_FOUND`: the file or directory does not exist or cannot be opened.
 * - `TRUNCATED`: fewer bytes than the header (or the header itself) needs.
 * - `BAD_MAGIC`: the first two bytes are not 0x00 0x00.
 * - `BAD_TYPE`: element type other than unsigned byte (0x08).
 * - `BAD_DIMS`: dimension count outside 1..3, a zero or absurd dimension, or the wrong rank for its role.
 * - `SIZE_MISMATCH`: bytes left over after the data the header declares.
 * - `CHECKSUM`: the SHA-256 of a bundled MNIST file is not the known one.
 * - `MISMATCHED_PAIR`: image and label counts differ, or train and test image sizes differ.
 * - `BAD_GZIP`: a `.gz` file is not valid gzip data (an extension of the design's code union).
 * - `NOT_FILE`: the path is a device, FIFO or socket: only regular files are read.
 * - `TOO_LARGE`: the header declares (or the file holds) more data than sweeplab reads (MAX_IDX_DATA_BYTES).
 */
export type IdxErrorCode =
  | 'NOT_FOUND'
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'BAD_TYPE'
  | 'BAD_DIMS'
  | 'SIZE_MISMATCH'
  | 'CHECKSUM'
  | 'MISMATCHED_PAIR'
  | 'BAD_GZIP'
  | 'NOT_FILE'
  | 'TOO_LARGE';

/** A file could not be read as unsigned-byte IDX. `message` is one line: `<path>: <what is wrong>; <fix>`. */
export class IdxFormatError extends Error {
  override readonly name = 'IdxFormatError';
  readonly code: IdxErrorCode;
  /** The file (or directory) at fault, as resolved. */
  readonly path: string;

  constructor(code: IdxErrorCode, path: string, problem: string, options?: { cause?: unknown }) {
    super(`${path}: ${problem}`, options);
    this.code = code;
    this.path = path;
  }
}

/**
 * Why a data spec (the `data:` section of an experiment) is unusable.
 * - `BAD_DATASET`: unknown `dataset`, or keys that do not apply to it.
 * - `BAD_PATH`: `path`/`files` missing or of the wrong type.
 * - `BAD_SUBSET`: a `train`/`test` subset that is malformed (negative, non-integer, unknown key or sample).
 * - `OUT_OF_RANGE`: a subset that reaches past the end of its file.
 * - `BAD_VALIDATION`: `validation` malformed or not smaller than the training subset.
 * - `BAD_SCALE`: `scale` is neither `[a, b]` with finite numbers nor `'standardize'`.
 * - `BAD_ARGUMENT`: a wrong argument to a helper such as `oneHot`.
 */
export type DataSpecErrorCode =
  | 'BAD_DATASET'
  | 'BAD_PATH'
  | 'BAD_SUBSET'
  | 'OUT_OF_RANGE'
  | 'BAD_VALIDATION'
  | 'BAD_SCALE'
  | 'BAD_ARGUMENT';

/** A data spec is wrong. `key` is the dotted place (`data.train.count`); the message starts with it and ends with the fix. */
export class DataSpecError extends Error {
  override readonly name = 'DataSpecError';
  readonly code: DataSpecErrorCode;
  readonly key: string;

  constructor(code: DataSpecErrorCode, key: string, problem: string) {
    super(`${key}: ${problem}`);
    this.code = code;
    this.key = key;
  }
}
