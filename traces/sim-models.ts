// The models a simulation serves: stored profiles (from a model repository,
// else the profiles of the bundled models shipped in profiles/bundled/),
// cycled into N instances like Clockwork's copies — instance i runs with
// profile i mod P and is named NAME-i.
import fs from 'node:fs';
import path from 'node:path';
import { BUNDLED_MODELS, bundledProfilesDir } from '../profiles/bundled-models.js';
import { parseModelConfig } from '../common/model-config.js';
import { parseProfile, type ModelProfile } from '../common/profile.js';

export interface SimModel {
  /** Scheduler key, NAME@1. */
  key: string;
  name: string;
  profile: ModelProfile;
  batchSizes: number[];
  defaultSloMs: number;
}

/** A profiled model to simulate (profiles/clockwork-v100.ts ProfiledModel has this shape). */
export interface Source {
  name: string;
  profile: ModelProfile;
  batchSizes: number[];
  defaultSloMs: number;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
}

function batchesOf(p: ModelProfile): number[] {
  const first = Object.values(p.classes)[0];
  return first ? first.batches.map((b) => b.batch).sort((a, b) => a - b) : [1];
}

/** Profiles in a repository: <repo>/<model>/<version>/{config.json,profile.json}, newest version of each. */
function fromRepository(repo: string): Source[] {
  const out: Source[] = [];
  for (const name of fs.readdirSync(repo).sort()) {
    const dir = path.join(repo, name);
    if (name.startsWith('.') || !fs.statSync(dir).isDirectory()) continue;
    const versions = fs.readdirSync(dir).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const pf = path.join(dir, v, 'profile.json');
      if (!fs.existsSync(pf)) continue;
      const profile = parseProfile(readJson(pf));
      if (!profile) continue;
      const cfgFile = path.join(dir, v, 'config.json');
      let batchSizes = batchesOf(profile);
      let defaultSloMs = 100;
      if (fs.existsSync(cfgFile)) {
        const cfg = parseModelConfig(readJson(cfgFile), cfgFile, name, Number(v));
        batchSizes = cfg.batchSizes.filter((b) => batchesOf(profile).includes(b));
        defaultSloMs = cfg.defaultSloMs;
      }
      out.push({ name, profile, batchSizes: batchSizes.length > 0 ? batchSizes : [1], defaultSloMs });
      break;
    }
  }
  if (out.length === 0) throw new Error(`no profiled models in ${repo} (expected <model>/<version>/profile.json)`);
  return out;
}

function bundled(): Source[] {
  const dir = bundledProfilesDir();
  return BUNDLED_MODELS.flatMap((m) => {
    const file = path.join(dir, `${m.config.name}.json`);
    const profile = fs.existsSync(file) ? parseProfile(readJson(file)) : undefined;
    return profile ? [{ name: m.config.name, profile, batchSizes: batchesOf(profile), defaultSloMs: m.config.defaultSloMs }] : [];
  });
}

/**
 * The simulated models: every profile once, or `instances` copies cycling
 * over them. Profiles from `sources` (a set given in code, e.g. the V100 set
 * of profiles/clockwork-v100.ts), else `repo`, else the bundled models'.
 */
export function loadSimModels(opts: { repo?: string; instances?: number; sources?: readonly Source[] }): SimModel[] {
  const sources = opts.sources ? [...opts.sources] : opts.repo ? fromRepository(opts.repo) : bundled();
  if (sources.length === 0) throw new Error('no model profiles found');
  if (opts.instances === undefined) return sources.map((s) => ({ ...s, key: `${s.name}@1` }));
  return Array.from({ length: opts.instances }, (_, i) => {
    const s = sources[i % sources.length]!;
    const name = `${s.name}-${i}`;
    return { ...s, name, key: `${name}@1` };
  });
}
