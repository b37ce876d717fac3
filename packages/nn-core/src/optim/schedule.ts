/**
 * Learning-rate schedules, evaluated per epoch e = 1..E (the rate used for every step of epoch e):
 * - constant:                 lr
 * - step {every, gamma}:      lr · gamma^floor((e − 1) / every); 'step' alone = every max(1, floor(E/3)), gamma 0.1
 * - cosine {min_lr}:          min_lr + (lr − min_lr) · (1 + cos(π · (e − 1) / E)) / 2   (min_lr default 0)
 */
import { NnCoreError } from '../errors.js';
import type { Schedule } from '../types.js';

export type LrSchedule = (epoch: number) => number;

export function makeSchedule(lr: number, epochs: number, schedule: Schedule | undefined): LrSchedule {
  const s = schedule ?? 'constant';
  const bad = (msg: string): never => { throw new NnCoreError('BAD_OPTIONS', `train.schedule: ${msg}`); };
  if (s === 'constant') return () => lr;
  if (s === 'step' || (typeof s === 'object' && s !== null && 'step' in s)) {
    const o = s === 'step' ? {} : s.step ?? {};
    const every = o.every ?? Math.max(1, Math.floor(epochs / 3));
    const gamma = o.gamma ?? 0.1;
    if (!(Number.isInteger(every) && every >= 1)) bad(`step.every ${every} must be a whole number of epochs >= 1`);
    if (!(Number.isFinite(gamma) && gamma > 0)) bad(`step.gamma ${gamma} must be a positive number`);
    return (e) => lr * Math.pow(gamma, Math.floor((e - 1) / every));
  }
  if (s === 'cosine' || (typeof s === 'object' && s !== null && 'cosine' in s)) {
    const minLr = s === 'cosine' ? 0 : s.cosine?.min_lr ?? 0;
    if (!(Number.isFinite(minLr) && minLr >= 0)) bad(`cosine.min_lr ${minLr} must be a number >= 0`);
    const E = Math.max(1, epochs);
    return (e) => minLr + (lr - minLr) * (1 + Math.cos((Math.PI * (e - 1)) / E)) / 2;
  }
  return bad(`${JSON.stringify(s)} is not a schedule; use constant, step, cosine, {step: {every, gamma}} or {cosine: {min_lr}}`);
}
