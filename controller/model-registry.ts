// The models the controller serves, by name and version, with per-model
// request counters. Backed by the model repository on disk. Listed in key
// order ("name@version"), a page at a time for a cluster of thousands: a page
// starts after the key that ended the previous one, so pages stay in order
// while models come and go.
import { quoted, someOf } from '../common/bounded-text.js';
import { notFound } from '../common/errors.js';
import type { RepoModel } from './model-repository.js';
import type { Shard } from './shard.js';

/** Most copies one registration (`--copies`) adds: 4,000 instances, Clockwork's scale, in one call. */
export const MAX_COPIES = 4000;

export interface ModelCounters {
  ok: number;
  rejected: number;
  failed: number;
  late: number;
}

export interface ServedModel extends RepoModel {
  counters: ModelCounters;
}

export interface PageRequest {
  /** Models after this key (the `next` of the previous page); empty or absent = from the first. */
  after?: string;
  /** At most this many; 0 or absent = every one. */
  limit?: number;
  /** Only this name's versions. */
  name?: string;
}

export interface Page {
  models: ServedModel[];
  /** The key to pass as `after` for the next page; '' on the last page. */
  next: string;
  /** Models matching the request, over every page. */
  total: number;
}

export class ModelRegistry {
  private readonly byKey = new Map<string, ServedModel>();
  private readonly byName = new Map<string, ServedModel[]>();
  /** Versions and bytes per distinct file (SHA-256). */
  private readonly byContent = new Map<string, { models: number; size: number }>();
  /** Every model in key order; rebuilt on the first read after a change. */
  private sorted: ServedModel[] | undefined;

  /** @param shard this controller's place in a ring (`--ring`): a name it does not hold and does not own is answered with its owner */
  constructor(readonly shard?: Shard) {}

  add(m: RepoModel): ServedModel {
    if (this.byKey.has(m.key)) this.remove(m.key);
    const served: ServedModel = Object.assign(m, { counters: { ok: 0, rejected: 0, failed: 0, late: 0 } });
    this.byKey.set(m.key, served);
    const list = this.byName.get(m.config.name) ?? [];
    list.push(served);
    list.sort((a, b) => a.config.version - b.config.version);
    this.byName.set(m.config.name, list);
    const c = this.byContent.get(m.sha256);
    if (c) c.models++;
    else this.byContent.set(m.sha256, { models: 1, size: m.size });
    this.sorted = undefined;
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
    const c = this.byContent.get(m.sha256);
    if (c && --c.models === 0) this.byContent.delete(m.sha256);
    this.sorted = undefined;
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
      const owner = this.shard?.elsewhere(name);
      if (owner) throw this.shard!.otherShard(name, owner);
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

  /** Every model, in key order. */
  all(): ServedModel[] {
    return [...this.ordered()];
  }

  /** One page of the models in key order (see PageRequest). */
  page(req: PageRequest): Page {
    const all = req.name ? (this.byName.get(req.name) ?? []).slice().sort((a, b) => (a.key < b.key ? -1 : 1)) : this.ordered();
    const after = req.after ?? '';
    let from = 0;
    if (after !== '') {
      // The first key greater than `after`.
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (all[mid]!.key <= after) lo = mid + 1;
        else hi = mid;
      }
      from = lo;
    }
    const limit = req.limit && req.limit > 0 ? req.limit : all.length;
    const models = all.slice(from, from + limit);
    const more = from + models.length < all.length;
    return { models, next: more && models.length > 0 ? models[models.length - 1]!.key : '', total: all.length };
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Distinct model names. */
  get names(): number {
    return this.byName.size;
  }

  /** Distinct model files (by SHA-256) and their bytes: copies count once. */
  contents(): { files: number; bytes: number } {
    let bytes = 0;
    for (const c of this.byContent.values()) bytes += c.size;
    return { files: this.byContent.size, bytes };
  }

  private ordered(): ServedModel[] {
    this.sorted ??= [...this.byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return this.sorted;
  }
}
