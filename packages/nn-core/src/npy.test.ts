import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeNpy, npyHeader, parseNpy } from './npy.js';
import { WeightsFileError } from './errors.js';

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
// Written by numpy 2.4.6: np.save(f, np.arange(6, dtype='<f8').reshape(3, 2) / 4)
const NUMPY_F8 = 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAANA/AAAAAAAA4D8AAAAAAADoPwAAAAAAAPA/AAAAAAAA9D8=';
// np.save(f, np.arange(6, dtype='<f4').reshape(2, 3) - 2.5)
const NUMPY_F4 = 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAACDAAADAvwAAAL8AAAA/AADAPwAAIEA=';

test('reads files written by numpy (float64 and float32)', () => {
  const a = parseNpy(b64(NUMPY_F8), 'f8.npy');
  assert.equal(a.dtype, 'float64');
  assert.deepEqual(a.shape, [3, 2]);
  assert.deepEqual(Array.from(a.data), [0, 0.25, 0.5, 0.75, 1, 1.25]);
  const b = parseNpy(b64(NUMPY_F4), 'f4.npy');
  assert.equal(b.dtype, 'float32');
  assert.deepEqual(b.shape, [2, 3]);
  assert.deepEqual(Array.from(b.data), [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]);
});

test('writes byte-identical files to numpy.save', () => {
  assert.deepEqual(encodeNpy(new Float64Array([0, 0.25, 0.5, 0.75, 1, 1.25]), [3, 2]), b64(NUMPY_F8));
  assert.deepEqual(encodeNpy(new Float32Array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]), [2, 3]), b64(NUMPY_F4));
  // the header of a 785x5 float64 array as numpy 2.x writes it: 128 bytes, length field 118 = 'v\0'
  const h = Buffer.from(npyHeader('float64', [785, 5])).toString('latin1');
  const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (785, 5), }";
  assert.equal(h, '\x93NUMPY\x01\x00v\x00' + dict + ' '.repeat(128 - 10 - dict.length - 1) + '\n');
});

test('reads big-endian data and the 2.0 header format', () => {
  const dict = "{'descr': '>f8', 'fortran_order': False, 'shape': (1, 2), }";
  const padded = dict + ' '.repeat(128 - 12 - dict.length - 1) + '\n';
  const bytes = new Uint8Array(12 + padded.length + 16);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, padded.length, 0, 0, 0]);
  bytes.set(Buffer.from(padded, 'latin1'), 12);
  const dv = new DataView(bytes.buffer, 12 + padded.length);
  dv.setFloat64(0, 1.5, false);
  dv.setFloat64(8, -3, false);
  const a = parseNpy(bytes, 'be.npy');
  assert.deepEqual(Array.from(a.data), [1.5, -3]);
});

function npyWith(dict: string, dataBytes: number): Uint8Array {
  const padded = dict + ' '.repeat(Math.max(0, 118 - dict.length - 1)) + '\n';
  const out = new Uint8Array(10 + padded.length + dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length & 0xff, padded.length >> 8]);
  out.set(Buffer.from(padded, 'latin1'), 10);
  return out;
}

test('bad files give typed errors naming the file and the fix', () => {
  const expect = (bytes: Uint8Array, code: string, re: RegExp) => assert.throws(() => parseNpy(bytes, '/w/W1.npy'), (e: unknown) => {
    assert.ok(e instanceof WeightsFileError);
    assert.equal(e.code, code);
    assert.equal(e.path, '/w/W1.npy');
    assert.match(e.message, /^\/w\/W1\.npy: /);
    assert.match(e.message, re);
    return true;
  });
  expect(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'CORRUPT', /bad magic/);
  expect(b64(NUMPY_F8).subarray(0, 150), 'CORRUPT', /truncated/);
  expect(npyWith("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2), }", 48), 'FORTRAN_ORDER', /ascontiguousarray/);
  expect(npyWith("{'descr': '<i4', 'fortran_order': False, 'shape': (3, 2), }", 24), 'DTYPE', /'<i4'.*astype/);
  expect(npyWith("{'fortran_order': False}", 0), 'CORRUPT', /unreadable .npy header/);
});
