#!/usr/bin/env -S node --initial-old-space-size=128
// Entry point of the `punctual` CLI (dist/cli/main.js, the package's bin).
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Let pending output drain and handles close on their own; a handle that
// lingers (an idle gRPC channel, a stuck child) must not keep a finished command alive.
setTimeout(() => process.exit(code), 2_000).unref();
