// Public API of @sweeplab/runner: an explicit export list (filled in by the package's issue).
export {};
