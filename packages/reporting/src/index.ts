// Public API of @sweeplab/reporting: an explicit export list (filled in by the package's issue).
export {};
