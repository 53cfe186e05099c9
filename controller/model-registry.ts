// The models the controller serves, by name and version, with per-model
// request counters. Backed by the model repository on disk.
import { quoted, someOf } from '../common/bounded-text.js';
import { notFound } from '../common/errors.js';
import type { RepoModel } from './model-repository.js';

export interface ModelCounters {
  ok: number;
  rejected: number;
  failed: number;
  late: number;
}

export interface ServedModel extends RepoModel {
  counters: ModelCounters;
}

export class ModelRegistry {
  private readonly byKey = new Map<string, ServedModel>();
  private readonly byName = new Map<string, ServedModel[]>();

  add(m: RepoModel): ServedModel {
    const served: ServedModel = Object.assign(m, { counters: { ok: 0, rejected: 0, failed: 0, late: 0 } });
    this.byKey.set(m.key, served);
    const list = this.byName.get(m.config.name) ?? [];
    list.push(served);
    list.sort((a, b) => a.config.version - b.config.version);
    this.byName.set(m.config.name, list);
    return served;
  }

  /** Stops resolving a version; new requests for it get NOT_FOUND. */
  remove(key: string): ServedModel | undefined {
    const m = this.byKey.get(key);
    if (!m) return undefined;
    this.byKey.delete(key);
    const list = (this.byName.get(m.config.name) ?? []).filter((x) => x.key !== key);
    if (list.length > 0) this.byName.set(m.config.name, list);
    else this.byName.delete(m.config.name);
    return m;
  }

  /** Every served version of a name, oldest first. */
  versions(name: string): ServedModel[] {
    return [...(this.byName.get(name) ?? [])];
  }

  get(key: string): ServedModel | undefined {
    return this.byKey.get(key);
  }

  /** The pinned version, or the newest when version is 0. NOT_FOUND names what exists. */
  resolve(name: string, version: number): ServedModel {
    const list = this.byName.get(name);
    if (!list || list.length === 0) {
      const names = [...this.byName.keys()].sort();
      throw notFound(`model ${quoted(name)} not found; available models: ${names.length ? someOf(names) : '(none)'}`);
    }
    if (version === 0) return list[list.length - 1]!;
    const m = list.find((x) => x.config.version === version);
    if (!m) {
      throw notFound(`model ${name} has no version ${version}; available versions: ${someOf(list.map((x) => String(x.config.version)))}`);
    }
    return m;
  }

  all(): ServedModel[] {
    return [...this.byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  get size(): number {
    return this.byKey.size;
  }
}
