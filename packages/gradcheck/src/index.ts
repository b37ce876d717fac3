// Public API of @sweeplab/gradcheck: an explicit export list.
export {
  gradcheck, GradcheckError, GRADCHECK_DEFAULTS,
  type GradcheckOptions, type GradcheckReport, type LayerCheck,
} from './gradcheck.js';
