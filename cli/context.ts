// What every command is handed: where to write, the environment, the global
// options, and the exit code it settles on. Commands never touch
// process.stdout or process.exit themselves, so tests can run them in-process.
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import type { PunctualClientOptions } from '../client/options.js';

export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
  /** Where punctual.config.json is looked for. @default process.cwd() */
  cwd?: string;
}

const outputs = new WeakMap<NodeJS.WriteStream, OutStream>();

/**
 * One of this process's own output streams. A closed one (the parent holding
 * the pipe went away: EPIPE, then ERR_STREAM_DESTROYED) is a normal condition,
 * not a crash: its 'error' is caught here and what is written after it is dropped.
 */
function survivingClose(stream: NodeJS.WriteStream): OutStream {
  const known = outputs.get(stream);
  if (known) return known;
  let closed = false;
  stream.on('error', () => {
    closed = true;
  });
  const out: OutStream = {
    write: (s: string) => (closed || stream.destroyed ? false : stream.write(s)),
    get isTTY() {
      return stream.isTTY;
    },
  };
  outputs.set(stream, out);
  return out;
}

export function processIo(): CliIo {
  return { stdout: survivingClose(process.stdout), stderr: survivingClose(process.stderr), env: process.env };
}

/** Global options, after defaults and environment. */
export interface GlobalOptions {
  /** Controller address, host:port. */
  controller: string;
  token?: string;
  /** CA certificate file (PEM) of a TLS controller. */
  tlsCa?: string;
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
  return { controller: o.controller ?? '127.0.0.1:7000', token: o.token || undefined, tlsCa: o.tlsCa || undefined, json: o.json === true };
}

/** Client options from the global options: the token, and TLS when a CA is given. */
export function clientOptions(g: GlobalOptions): PunctualClientOptions {
  return {
    ...(g.token ? { token: g.token } : {}),
    ...(g.tlsCa ? { credentials: grpc.credentials.createSsl(fs.readFileSync(g.tlsCa)) } : {}),
  };
}

/** Colour and progress only for a terminal, never in --json mode. */
export function interactive(stream: OutStream, g: GlobalOptions): boolean {
  return stream.isTTY === true && !g.json;
}
