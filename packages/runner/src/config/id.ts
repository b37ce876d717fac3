// Trial ids: content hashes of the canonical resolved config plus the data and init files' fingerprints, so the same
// trial from two files, two runs or two clones is the same row.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readRegularFile } from '@sweeplab/data';
import { join } from 'node:path';
import type { TrialConfig } from './resolve.js';

/** JSON with object keys sorted at every level (arrays keep their order); undefined members are left out. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: ${v} has no JSON form`);
    return JSON.stringify(v); // -0 -> "0"
  }
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: a ${typeof v} has no JSON form`);
}

const sha256 = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');

/** First 16 hex chars of sha256(canonicalJson({ config, data, init })) (docs/design.md). */
export function trialIdOf(config: TrialConfig, fingerprints: { data: string; init: string | null }): string {
  return sha256(canonicalJson({ config, data: fingerprints.data, init: fingerprints.init })).slice(0, 16);
}

/** The architecture a gradient check covers: the model spec without init, plus l2 (16 hex chars). */
export function archOf(config: TrialConfig): string {
  const { layers, activation, output, loss } = config.model;
  return sha256(canonicalJson({ layers, activation, output, loss, l2: config.train.l2 })).slice(0, 16);
}

/**
 * Content hash of initial-weights files: an .npz (or any file) hashes its bytes; a directory hashes W1.npy..WL.npy
 * (name and bytes of each). Null if the files are missing (the config check reports that).
 */
export function initFingerprint(absPath: string, numLayers: number): string | null {
  const read = (f: string) => readRegularFile(f, MAX_WEIGHTS_FILE_BYTES, 'a weights file');
  try {
    if (!statSync(absPath).isDirectory()) return sha256(read(absPath));
    const h = createHash('sha256');
    for (let l = 1; l <= numLayers; l++) h.update(`W${l}.npy\0`).update(sha256(read(join(absPath, `W${l}.npy`)))).update('\0');
    return h.digest('hex');
  } catch {
    return null; // missing, not a regular file or too large: the config check (readWeights) says which
  }
}

/** The largest weights file hashed without knowing the model (readWeights bounds each layer by its shape). */
const MAX_WEIGHTS_FILE_BYTES = 2 * 1024 * 1024 * 1024 - 1;
