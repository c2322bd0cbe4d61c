#!/usr/bin/env node
// Thin launcher for the compiled CLI (npm ci builds dist/ through the `prepare` script).
import '../dist/cli/run.js';
