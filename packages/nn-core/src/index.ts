// Public API of @sweeplab/nn-core: an explicit export list (filled in by the package's issue).
export {};
