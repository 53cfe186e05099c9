// What every command is handed: where to write, the environment, the global
// options, and the exit code it settles on. Commands never touch
// process.stdout or process.exit themselves, so tests can run them in-process.
import type { Command } from 'commander';

export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Global options, after defaults and environment. */
export interface GlobalOptions {
  /** Controller address, host:port. */
  controller: string;
  token?: string;
  json: boolean;
}

export interface CliContext {
  io: CliIo;
  /** The exit code the run ends with; commands set it. */
  exitCode: number;
}

/** The global options as seen from a (sub)command. */
export function globalsOf(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals<Partial<GlobalOptions>>();
  return { controller: o.controller ?? '127.0.0.1:7000', token: o.token || undefined, json: o.json === true };
}

/** Colour and progress only for a terminal, never in --json mode. */
export function interactive(stream: OutStream, g: GlobalOptions): boolean {
  return stream.isTTY === true && !g.json;
}
