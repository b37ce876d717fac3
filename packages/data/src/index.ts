// Public API of @sweeplab/data: an explicit export list (filled in by the package's issue).
export {};
