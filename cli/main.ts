#!/usr/bin/env -S node --initial-old-space-size=128
// Entry point of the `punctual` CLI (dist/cli/main.js, the package's bin).
// A client command runs from the bundle when there is one (cli/fast-path.ts);
// every other run, or a build without the bundle, from the modules tsc wrote.
import { bundledCommand } from './fast-path.js';

type Program = typeof import('./program.js');

async function program(argv: readonly string[]): Promise<Program> {
  if (bundledCommand(argv)) {
    try {
      return (await import(new URL('./bundle/program.js', import.meta.url).href)) as Program;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    }
  }
  return import('./program.js');
}

const argv = process.argv.slice(2);
const code = await (await program(argv)).runCli(argv);
process.exitCode = code;
// Let pending output drain and handles close on their own; a handle that
// lingers (an idle gRPC channel, a stuck child) must not keep a finished command alive.
setTimeout(() => process.exit(code), 2_000).unref();
