import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeIdx, IdxFormatError, MAX_IDX_DATA_BYTES, parseIdx, readIdxFile, writeIdxFile } from './index.js';
import { idxBytes, tempDir, throwsIdx } from './testing/fixtures.js';

const seq = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) % 256);

describe('IDX round trip', () => {
  for (const dims of [[5], [3, 4], [2, 3, 4]]) {
    test(`${dims.length}-D ${JSON.stringify(dims)}: encode matches hand-built bytes, parse and files round-trip`, () => {
      const data = seq(dims.reduce((a, b) => a * b, 1));
      const expected = idxBytes(dims, data);
      const encoded = encodeIdx({ dims, data });
      assert.deepEqual(encoded, expected);
      // header by hand: 0 0 0x08 ndims, then big-endian dims
      assert.deepEqual([...encoded.subarray(0, 4)], [0, 0, 8, dims.length]);
      assert.equal(encoded[4 + 3], dims[0]);

      const parsed = parseIdx(expected);
      assert.deepEqual(parsed.dims, dims);
      assert.deepEqual([...parsed.data], [...data]);

      const dir = tempDir();
      const plain = join(dir, 'a-idx-ubyte');
      writeIdxFile(plain, { dims, data });
      assert.deepEqual(new Uint8Array(readFileSync(plain)), expected);
      const back = readIdxFile(plain);
      assert.deepEqual(back.dims, dims);
      assert.deepEqual([...back.data], [...data]);
    });
  }

  test('dimensions above 255 are big-endian uint32', () => {
    const parsed = parseIdx(idxBytes([300, 1, 1], seq(300)));
    assert.deepEqual(parsed.dims, [300, 1, 1]);
    const bytes = encodeIdx({ dims: [258], data: seq(258) });
    assert.deepEqual([...bytes.subarray(4, 8)], [0, 0, 1, 2]);
  });

  test('.gz files are written compressed and read transparently', () => {
    const dir = tempDir();
    const dims = [4, 2, 2];
    const data = seq(16);
    const gzPath = join(dir, 'x-idx3-ubyte.gz');
    writeIdxFile(gzPath, { dims, data });
    const stored = readFileSync(gzPath);
    assert.deepEqual([stored[0], stored[1]], [0x1f, 0x8b]);
    assert.deepEqual(new Uint8Array(gunzipSync(stored)), idxBytes(dims, data));
    const back = readIdxFile(gzPath);
    assert.deepEqual(back.dims, dims);
    assert.deepEqual([...back.data], [...data]);

    // a file gzipped by someone else (zlib directly), and gzip content without the .gz suffix
    const other = join(dir, 'y-idx1-ubyte.gz');
    writeFileSync(other, gzipSync(idxBytes([3], [7, 8, 9])));
    assert.deepEqual([...readIdxFile(other).data], [7, 8, 9]);
    const noSuffix = join(dir, 'z-idx1-ubyte');
    writeFileSync(noSuffix, gzipSync(idxBytes([2], [1, 2])));
    assert.deepEqual([...readIdxFile(noSuffix).data], [1, 2]);
  });
});

describe('IDX format errors name the file and the problem', () => {
  const file = (bytes: Uint8Array | number[], name = 'bad-idx-ubyte'): string => {
    const p = join(tempDir(), name);
    writeFileSync(p, Uint8Array.from(bytes));
    return p;
  };

  test('truncated header: shorter than the magic number', () => {
    const p = file([0, 0, 8]);
    throwsIdx(() => readIdxFile(p), 'TRUNCATED', p, ['3 bytes']);
  });

  test('truncated header: fewer dimension words than declared', () => {
    const p = file(idxBytes([10, 28, 28], []).subarray(0, 10)); // 3 dims need a 16-byte header
    throwsIdx(() => readIdxFile(p), 'TRUNCATED', p, ['16-byte header', '10 bytes']);
  });

  test('truncated data', () => {
    const p = file(idxBytes([10, 2, 2], seq(39))); // 40 declared
    throwsIdx(() => readIdxFile(p), 'TRUNCATED', p, ['(10, 2, 2) = 40 bytes', 'only 39']);
  });

  test('trailing bytes', () => {
    const p = file(idxBytes([5], seq(7)));
    throwsIdx(() => readIdxFile(p), 'SIZE_MISMATCH', p, ['2 trailing bytes']);
  });

  test('wrong magic', () => {
    const p = file(idxBytes([2], [1, 2], { magic: [0x50, 0x4b] }));
    throwsIdx(() => readIdxFile(p), 'BAD_MAGIC', p, ['0x50 0x4b', 'not an IDX file']);
  });

  test('wrong type byte (float32 IDX)', () => {
    const p = file(idxBytes([2], [0, 0, 0, 0, 0, 0, 0, 0], { type: 0x0d }));
    throwsIdx(() => readIdxFile(p), 'BAD_TYPE', p, ['0x0d', 'float32', 'unsigned byte']);
  });

  test('0 dimensions', () => {
    const p = file(idxBytes([], [1, 2, 3]));
    throwsIdx(() => readIdxFile(p), 'BAD_DIMS', p, ['0 dimensions']);
  });

  test('4 dimensions', () => {
    const p = file(idxBytes([1, 1, 1, 1], [9]));
    throwsIdx(() => readIdxFile(p), 'BAD_DIMS', p, ['4 dimensions', '1 to 3']);
  });

  test('a zero-size dimension', () => {
    const p = file(idxBytes([3, 0, 28], []));
    throwsIdx(() => readIdxFile(p), 'BAD_DIMS', p, ['dimension 2 of (3, 0, 28) is 0']);
  });

  test('absurd dimensions: more than sweeplab reads is refused from the header alone, before any allocation', () => {
    const p = file(idxBytes([0xffffffff], seq(10)));
    throwsIdx(() => readIdxFile(p), 'TOO_LARGE', p, ['4294967295', '256 MiB']);
    const q = file(idxBytes([0xffffffff, 0xffffffff, 0xffffffff], seq(10)));
    throwsIdx(() => readIdxFile(q), 'TOO_LARGE', q, ['256 MiB']);
    // just above the limit, in a small file
    const r = file(idxBytes([MAX_IDX_DATA_BYTES + 1], seq(10)));
    throwsIdx(() => readIdxFile(r), 'TOO_LARGE', r);
  });

  test('missing file', () => {
    const p = join(tempDir(), 'nope-idx3-ubyte');
    throwsIdx(() => readIdxFile(p), 'NOT_FOUND', p, ['not found']);
  });

  test('a directory instead of a file', () => {
    const d = tempDir();
    throwsIdx(() => readIdxFile(d), 'NOT_FOUND', d, ['directory']);
  });

  test('bad gzip: truncated stream, and a .gz that is not gzip', () => {
    const whole = gzipSync(idxBytes([100], seq(100)));
    const p = file(whole.subarray(0, whole.length - 12), 'cut-idx1-ubyte.gz');
    throwsIdx(() => readIdxFile(p), 'BAD_GZIP', p, ['corrupt gzip']);
    const q = file(idxBytes([2], [1, 2]), 'plain-idx1-ubyte.gz');
    throwsIdx(() => readIdxFile(q), 'BAD_GZIP', q, ['not gzip data', 'remove the .gz suffix']);
  });

  test('parseIdx without a path names the in-memory source; gzip bytes get a hint', () => {
    throwsIdx(() => parseIdx(Uint8Array.of(0, 0, 8)), 'TRUNCATED', '(in-memory IDX)');
    throwsIdx(() => parseIdx(gzipSync(idxBytes([1], [1])), 'mem.gz'), 'BAD_MAGIC', 'mem.gz', ['gzip']);
  });

  test('encodeIdx rejects inconsistent arrays', () => {
    throwsIdx(() => encodeIdx({ dims: [2, 2], data: seq(5) }), 'SIZE_MISMATCH', '(encodeIdx)');
    throwsIdx(() => encodeIdx({ dims: [1, 1, 1, 1], data: seq(1) }), 'BAD_DIMS', '(encodeIdx)');
    throwsIdx(() => encodeIdx({ dims: [0], data: seq(0) }), 'BAD_DIMS', '(encodeIdx)');
    const p = join(tempDir(), 'w-idx-ubyte');
    throwsIdx(() => writeIdxFile(p, { dims: [3], data: seq(2) }), 'SIZE_MISMATCH', p);
  });

  test('errors are IdxFormatError instances, never RangeError', () => {
    // every prefix of a valid file fails with an IdxFormatError
    const good = idxBytes([3, 2, 2], seq(12));
    for (let len = 0; len < good.length; len++) {
      assert.throws(() => parseIdx(good.subarray(0, len)), (e: unknown) => e instanceof IdxFormatError);
    }
  });
});

describe('hostile files', () => {
  test('a device, a FIFO and a socket are refused by kind, also behind a symlink, without reading (no hang)', async () => {
    const dir = tempDir();
    const zero = join(dir, 'train-images-idx3-ubyte.gz');
    symlinkSync('/dev/zero', zero);
    throwsIdx(() => readIdxFile(zero), 'NOT_FILE', zero, ['character device']);
    throwsIdx(() => readIdxFile('/dev/zero'), 'NOT_FILE', '/dev/zero', ['character device']);
    const fifo = join(dir, 'fifo-idx1-ubyte');
    execFileSync('mkfifo', [fifo]);
    throwsIdx(() => readIdxFile(fifo), 'NOT_FILE', fifo, ['FIFO']);
    const sockPath = join(dir, 'sock-idx1-ubyte');
    const server = createServer().listen(sockPath);
    await once(server, 'listening');
    try {
      throwsIdx(() => readIdxFile(sockPath), 'NOT_FILE', sockPath, ['socket']);
    } finally {
      server.close();
    }
  });

  test('a gzip bomb stops at the size its IDX header declares', () => {
    // a 4-byte label file header followed by 64 MiB of zeros: gzip shrinks it to ~64 KiB
    const header = idxBytes([4], seq(4));
    const bomb = gzipSync(Buffer.concat([Buffer.from(header), Buffer.alloc(64 * 1024 * 1024)]));
    assert.ok(bomb.length < 200_000, `bomb is ${bomb.length} bytes`);
    const p = join(tempDir(), 'bomb-idx1-ubyte.gz');
    writeFileSync(p, bomb);
    const before = process.memoryUsage().arrayBuffers;
    throwsIdx(() => readIdxFile(p), 'SIZE_MISMATCH', p, ['inflates to more than the 12 bytes its IDX header declares']);
    // nothing near the 64 MiB was allocated (the limit was the declared 12 bytes)
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024);
  });

  test('an uncompressed file whose header disagrees with its size is refused before its data is read', () => {
    const p = join(tempDir(), 'short-idx1-ubyte');
    writeFileSync(p, idxBytes([1000], seq(10)));
    throwsIdx(() => readIdxFile(p), 'TRUNCATED', p, ['1000 bytes']);
  });
});
