// Parsers for CLI argument values (memory sizes, addresses, counts, devices).
// Each throws commander's InvalidArgumentError, so a bad value is reported
// with the option it came from and the CLI exits with status 2.
import { InvalidArgumentError } from 'commander';
import { deviceOf, notADevice, type Device } from '../common/device.js';

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  ki: 2 ** 10,
  mi: 2 ** 20,
  gi: 2 ** 30,
  ti: 2 ** 40,
};

/**
 * A memory size in bytes: plain bytes ("1073741824"), binary units ("512MiB",
 * "2GiB", "1.5Gi") or decimal ones ("500MB"). Units are case-insensitive.
 * A bare "512M" or "2G" is refused: it is ambiguous between the two.
 */
export function parseMemorySize(s: string): number {
  return memorySize(s, false);
}

/** parseMemorySize, 0 allowed (an allowance, not a budget). */
export function parseMemorySizeOrZero(s: string): number {
  return memorySize(s, true);
}

function memorySize(s: string, zeroAllowed: boolean): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(s);
  if (!m) throw new InvalidArgumentError(`${JSON.stringify(s)} is not a memory size; use e.g. 512MiB, 2GiB or a number of bytes.`);
  const unit = (m[2] ?? '').toLowerCase();
  const factor = unit === '' ? 1 : UNITS[unit];
  if (factor === undefined) {
    const hint = /^[kmgt]$/.test(unit) ? ` (say ${m[1]}${unit.toUpperCase()}iB or ${m[1]}${unit.toUpperCase()}B)` : '';
    throw new InvalidArgumentError(`unknown unit ${JSON.stringify(m[2])} in ${JSON.stringify(s)}${hint}; use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB.`);
  }
  const bytes = Math.floor(Number(m[1]) * factor);
  if (!(bytes > 0) && !(zeroAllowed && bytes === 0)) throw new InvalidArgumentError(`memory size ${JSON.stringify(s)} must be more than 0 bytes.`);
  if (!Number.isSafeInteger(bytes)) throw new InvalidArgumentError(`memory size ${JSON.stringify(s)} is too large.`);
  return bytes;
}

/** An integer in [min, max]. */
export function integerIn(min: number, max: number): (s: string) => number {
  return (s) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${JSON.stringify(s)} must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

export const parsePort = integerIn(0, 65535);

/** A positive number of milliseconds (fractions allowed). */
export function parseMs(s: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${JSON.stringify(s)} must be a positive number of milliseconds.`);
  return n;
}

/** host:port, with [v6]:port for IPv6. Returns it unchanged once checked. */
export function parseAddress(s: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d+)$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) {
    throw new InvalidArgumentError(`${JSON.stringify(s)} is not HOST:PORT (e.g. 127.0.0.1:7000).`);
  }
  return s;
}

/** cpu, emulated or cuda:N (common/device.ts, which loads no onnxruntime). */
export function parseDevice(s: string): Device {
  const device = deviceOf(s);
  if (device === undefined) throw new InvalidArgumentError(`${notADevice(s)}.`);
  return device;
}
