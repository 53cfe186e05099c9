// CLI value parsers: memory sizes, addresses, counts, devices.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { integerIn, parseAddress, parseDevice, parseMemorySize, parseMs, parsePort } from '../cli/args.js';

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
