// Test-only process entry: the sweeplab command line with the worker slowed down after each epoch (TEST_DELAY_MS
// in this test process's environment), so CLI tests can interrupt or kill a run in the middle. Production code
// has no such hook: the slowed worker is injected here, through main()'s deps.
import { testWorker } from '@sweeplab/runner/testing';
import { main } from '../main.js';

const delayMs = Number(process.env.TEST_DELAY_MS ?? '0');
process.exitCode = await main(process.argv.slice(2), { pool: testWorker({ delayMs }) });
