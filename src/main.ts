#!/usr/bin/env node
/**
 * The `sbc-agent` executable: runs the program with the process's argv and streams, and
 * turns the result into the exit code. SIGINT/SIGTERM are handled by the long-running commands.
 */
import { EXIT } from './cli/index.js';
import { describeError } from './core/index.js';
import { runProgram } from './program.js';

runProgram(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sbc-agent: ${describeError(error)}\n`);
    process.exitCode = EXIT.INTERNAL;
  },
);
