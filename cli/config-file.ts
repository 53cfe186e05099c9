// The CLI's optional config file, punctual.config.json in the working
// directory: defaults for the global options, below flags and environment
// variables. {"controller": "host:port", "token": "…", "tlsCa": "ca.pem"}.
import fs from 'node:fs';
import path from 'node:path';

export const CONFIG_FILE = 'punctual.config.json';

export interface CliConfigFile {
  controller?: string;
  token?: string;
  /** CA certificate (PEM) for a TLS controller; relative to the file's folder. */
  tlsCa?: string;
}

/** Reads the config file in `dir`, if there is one. A broken file is an error naming it. */
export function readCliConfig(dir: string): CliConfigFile {
  const file = path.join(dir, CONFIG_FILE);
  if (!fs.existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file} must hold a JSON object`);
  const o = raw as Record<string, unknown>;
  const out: CliConfigFile = {};
  for (const key of ['controller', 'token', 'tlsCa'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') throw new Error(`${file}: "${key}" must be a non-empty string`);
    out[key] = key === 'tlsCa' ? path.resolve(dir, v) : v;
  }
  const unknown = Object.keys(o).filter((k) => !['controller', 'token', 'tlsCa'].includes(k));
  if (unknown.length > 0) throw new Error(`${file}: unknown key(s) ${unknown.join(', ')} (known: controller, token, tlsCa)`);
  return out;
}
