// CLI value parsers: memory sizes, addresses, counts, devices; and the
// secure defaults of the listening and token flags (loopback metrics,
// --insecure off, tokens from the environment), with the refusal of an
// unguarded non-loopback controller as a usage error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { integerIn, parseAddress, parseDevice, parseMemorySize, parseMemorySizeOrZero, parseMs, parsePort } from '../cli/args.js';
import { buildProgram } from '../cli/program.js';
import { runCliCaptured } from './support/run-cli.js';

describe('parseMemorySize', () => {
  it.each([
    ['1073741824', 1073741824],
    ['512MiB', 512 * 2 ** 20],
    ['2GiB', 2 * 2 ** 30],
    ['2gib', 2 * 2 ** 30],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['4Gi', 4 * 2 ** 30],
    ['64KiB', 65536],
    ['1TiB', 2 ** 40],
    ['500MB', 500_000_000],
    ['2GB', 2_000_000_000],
    ['100B', 100],
    [' 3 MiB ', 3 * 2 ** 20],
  ])('%s → %d bytes', (s, bytes) => {
    expect(parseMemorySize(s)).toBe(bytes);
  });

  it.each(['', 'lots', '-1GiB', '0', '0MiB', '2 GiBs', '1e9', 'GiB', '99999999999TiB'])('rejects %j', (s) => {
    expect(() => parseMemorySize(s)).toThrow(InvalidArgumentError);
  });

  it('refuses an ambiguous bare unit and says what to write instead', () => {
    expect(() => parseMemorySize('2G')).toThrow(/say 2GiB or 2GB/);
    expect(() => parseMemorySize('512m')).toThrow(/512MiB or 512MB/);
  });
});

describe('parseMemorySizeOrZero', () => {
  it.each([
    ['0', 0],
    ['0MiB', 0],
    ['0.0 GiB', 0],
    ['128MiB', 128 * 2 ** 20],
  ])('%s → %d bytes', (s, bytes) => {
    expect(parseMemorySizeOrZero(s)).toBe(bytes);
  });

  it.each(['', '-1', '0x', '0G', 'off'])('rejects %j as parseMemorySize does', (s) => {
    expect(() => parseMemorySizeOrZero(s)).toThrow(InvalidArgumentError);
  });
});

describe('parseAddress', () => {
  it.each(['127.0.0.1:7000', 'localhost:1', 'ctl.example.com:65535', '[::1]:7000'])('accepts %s', (s) => {
    expect(parseAddress(s)).toBe(s);
  });
  it.each(['127.0.0.1', ':7000', 'host:0', 'host:70000', 'host:port', 'a b:1', '::1:7000'])('rejects %j', (s) => {
    expect(() => parseAddress(s)).toThrow(/HOST:PORT/);
  });
});

describe('integers, ms and devices', () => {
  it('integerIn checks range and integrality', () => {
    const p = integerIn(1, 8);
    expect(p('1')).toBe(1);
    expect(p('8')).toBe(8);
    for (const bad of ['0', '9', '1.5', '', 'x']) expect(() => p(bad)).toThrow(/integer from 1 to 8/);
  });

  it('parsePort allows 0 (pick a free one) up to 65535', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort('65535')).toBe(65535);
    expect(() => parsePort('65536')).toThrow(InvalidArgumentError);
  });

  it('parseMs takes positive numbers', () => {
    expect(parseMs('12.5')).toBe(12.5);
    for (const bad of ['0', '-3', 'fast', '']) expect(() => parseMs(bad)).toThrow(InvalidArgumentError);
  });

  it('parseDevice takes cpu, emulated and cuda:N', () => {
    expect(parseDevice('cpu')).toBe('cpu');
    expect(parseDevice('emulated')).toBe('emulated');
    expect(parseDevice('cuda:0')).toBe('cuda:0');
    expect(parseDevice('cuda:03')).toBe('cuda:3');
    for (const bad of ['gpu', 'cuda', 'cuda:x', 'CPU']) expect(() => parseDevice(bad)).toThrow(/cpu, cuda:N or emulated/);
  });
});

describe('listening and token flags', () => {
  const program = (env: Record<string, string> = {}): Promise<Command> =>
    buildProgram({ io: { stdout: { write: () => true }, stderr: { write: () => true }, env, cwd: os.tmpdir() }, exitCode: 0 });
  const defaultOf = async (cmd: string, flag: string, env: Record<string, string> = {}): Promise<unknown> => {
    const c = (await program(env)).commands.find((x) => x.name() === cmd);
    const o = c?.options.find((x) => x.long === flag);
    if (!o) throw new Error(`${cmd} has no ${flag}`);
    return o.defaultValue;
  };

  it('binds metrics (and the worker health port) to loopback by default', async () => {
    expect(await defaultOf('controller', '--metrics-host')).toBe('127.0.0.1');
    expect(await defaultOf('up', '--metrics-host')).toBe('127.0.0.1');
    expect(await defaultOf('worker', '--listen-host')).toBe('127.0.0.1');
  });

  it('leaves --insecure off, and takes the tokens from the environment', async () => {
    expect(await defaultOf('controller', '--insecure')).toBe(false);
    expect(await defaultOf('up', '--insecure')).toBe(false);
    expect(await defaultOf('up', '--host')).toBe('127.0.0.1');
    for (const cmd of ['controller', 'up', 'worker']) {
      expect(await defaultOf(cmd, '--metrics-token')).toBeUndefined();
      expect(await defaultOf(cmd, '--metrics-token', { PUNCTUAL_METRICS_TOKEN: 'm' })).toBe('m');
    }
    expect(await defaultOf('controller', '--admin-token', { PUNCTUAL_ADMIN_TOKEN: 'a' })).toBe('a');
  });

  it('refuses an unguarded controller on 0.0.0.0 as a usage error (exit 2), before touching the repository', async () => {
    const repo = path.join(os.tmpdir(), `punctual-never-${process.pid}`);
    const r = await runCliCaptured(['controller', '--host', '0.0.0.0', '--repo', repo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to listen on 0.0.0.0 without an admin token');
    expect(fs.existsSync(repo)).toBe(false);
    const json = await runCliCaptured(['--json', 'controller', '--host', '::', '--repo', repo]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ message: expect.stringContaining('refusing to listen on :: without an admin token') });
  });
});
