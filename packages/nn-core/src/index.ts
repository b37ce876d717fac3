// Public API of @sweeplab/nn-core: an explicit export list.
export type {
  DType, FloatArray, Activation, OutputActivation, LossName, ModelSpec, InitSpec, LayerView, Mlp, LabeledSet,
  TrainData, Schedule, OptimizerName, TrainOptions, EpochMetrics, EvalResult, TrainResult, Objective, StorageDType,
} from './types.js';
export { Rng } from './rng.js';
export { createMlp } from './model.js';
export { loadWeights, readWeights, saveWeights } from './weights.js';
export { parseNpy, encodeNpy, type NpyArray } from './npy.js';
export { predict, evaluate } from './evaluate.js';
export { mlpObjective } from './objective.js';
export { classPriorCost } from './prior.js';
export { train } from './train.js';
export { OPTIMIZER_DEFAULTS } from './optim/index.js';
export { WeightsFileError, NnCoreError, type WeightsFileErrorCode, type NnCoreErrorCode } from './errors.js';
export {
  getKernels, kernelInfo, bf16Support, NATIVE_HINT, COMPILER_HINT, REBUILD_COMMAND, BF16_CPUS,
  type KernelChoice, type KernelInfo, type Bf16Support,
} from './kernels/index.js';
export { storageDtype } from './model.js';
export { jsKernels } from './kernels/js.js';
export { prepareNativeEnv, type NativeEnv } from './kernels/native.js';
export { Act, OutLoss, type Kernels, type KernelBackend, type KernelTier } from './kernels/types.js';
