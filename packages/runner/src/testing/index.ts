// Test helpers of @sweeplab/runner for other packages' tests (`@sweeplab/runner/testing`): tiny data sets and
// configs, executor factories with an injected worker (slowed down or crashing), an in-memory executor.
export {
  tempDir, copyDb, writeTinyIdx, tinyConfig, tinyExperiment, archKey, dataFingerprintOf, pool, testWorker, events, runOpts, sink,
  ROWS, COLS, CLASSES,
} from './fixtures.js';
export type { TinyOverrides } from './fixtures.js';
export { FakeExecutor, fakeMetrics } from './fake-executor.js';
export { startRedis, redisAvailable, freePort } from './redis.js';
export type { RedisServer } from './redis.js';
export { writeQueueExperiment, queueFactory, faultWorker, FAST_LOCKS } from './queue.js';
export type { QueueExperimentOptions } from './queue.js';
export type { FakeBehaviour } from './fake-executor.js';
