/** What a run records about where it ran (`environment` table), and the sweeplab version. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import type { KernelsSetting } from './exec/types.js';
import { kernelSummary } from './kernels.js';
import type { EnvironmentInput } from '@sweeplab/store';

let version: string | null = null;

/** The runner package's version (package.json next to src/ and dist/). */
export function sweeplabVersion(): string {
  if (version === null) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
      version = pkg.version ?? '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}

/** `git rev-parse HEAD` in `cwd`, or null when there is no git or no repository. */
export function gitCommit(cwd: string = process.cwd()): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    const s = out.toString().trim();
    return /^[0-9a-f]{7,64}$/.test(s) ? s : null;
  } catch {
    return null;
  }
}

/** The environment record of a run; `kernels` is the experiments' kernel setting (the backend it resolves to is recorded). */
export function collectEnvironment(
  runId: string, startedAt: string, command: string, dataFingerprints: Record<string, string>, kernels: KernelsSetting = 'auto',
  owner: string | null = null,
): EnvironmentInput {
  const k = kernelSummary(kernels);
  return {
    runId,
    owner,
    startedAt,
    command,
    sweeplabVersion: sweeplabVersion(),
    gitCommit: gitCommit(),
    nodeVersion: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model?.trim() ?? null,
    cores: availableParallelism(),
    kernelBackend: k.backend,
    openblasCore: k.openblasCore,
    dataFingerprints,
  };
}


