// Public API of @sweeplab/gradcheck: an explicit export list (filled in by the package's issue).
export {};
