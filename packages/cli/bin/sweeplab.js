#!/usr/bin/env node
// Executable shim: npm links this file before `dist/` exists, so the bin must not point into dist.
import '../dist/bin.js';
