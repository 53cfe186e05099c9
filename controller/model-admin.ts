// Changes the set of served models on a running controller: registration
// (validate with onnxruntime in a worker thread, move the uploaded file into
// the repository atomically, put the bytes on every worker, profile, then
// serve), version swaps without downtime, and removal. One change runs at a
// time. Model bytes stay on disk: everything here passes the file's path.
//
// A new version of a served name is warmed first (loaded wherever the old
// one is loaded), then traffic switches to it (the registry resolves
// version 0 to it), then the old version drains (its queued and running
// requests finish), and only then is it unloaded. The old version stays in
// the repository and may still be pinned; it loads again on demand.
import { PunctualError, Status, invalidArgument, notFound } from '../common/errors.js';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import {
  MAX_MODEL_VERSION,
  MODEL_NAME_PATTERN,
  MODEL_VERSION_RANGE,
  isModelVersion,
  modelKey,
  parseModelConfig,
  parseModelVersion,
  type ModelConfig,
} from '../common/model-config.js';
import type { RegisterMetadata__Output } from '../common/wire.js';
import { profileModel, type ModelFile } from '../profiles/profiler.js';
import type { ModelProfile } from '../common/profile.js';
import type { Estimates } from './scheduler/estimates.js';
import { checkSignature, outputsOf } from './model-check.js';
import { resolveInputs } from './model-inputs.js';
import type { ServedModel } from './model-registry.js';
import type { RepoModel } from './model-repository.js';
import { removeVersion, writeVersion } from './repository-writer.js';
import type { ServingCore } from './serving-core.js';
import fs from 'node:fs';
import path from 'node:path';

/** Resolved by compileControllerOptions (controller/options.ts), which holds their defaults. */
export interface ModelAdminOptions {
  repoDir: string;
  /** Timed runs per batch size when a registered model is profiled (ControllerOptions.profileIterations). */
  profileIterations: number;
  /** How long a new version may take to load where the old one is loaded, ms (ControllerOptions.swapWarmTimeoutMs). */
  warmTimeoutMs: number;
  /** How long the old version's queued and running requests may take to finish, ms (ControllerOptions.swapDrainTimeoutMs). */
  drainTimeoutMs: number;
}

export interface RegisterOutcome {
  models: ServedModel[];
  /** Keys of the versions these replaced as the default. */
  replaced: string[];
  readyMs: number;
}

const MAX_COPIES = 1000;

export class ModelAdmin {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly core: ServingCore,
    private readonly estimates: Estimates,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: ModelAdminOptions,
  ) {}

  /** Runs one change after the previous one finished. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Registers the model in `upload` (a checked file; on success it is moved
   * into the repository, so the caller removes whatever is left afterwards).
   */
  register(meta: RegisterMetadata__Output, upload: ModelFile): Promise<RegisterOutcome> {
    return this.serialize(() => this.doRegister(meta, upload));
  }

  /** Refuses metadata that can never register (name, copies, version), before any byte is uploaded. */
  checkMeta(meta: RegisterMetadata__Output): void {
    this.names(meta);
    this.checkVersion(meta.version);
  }

  unregister(name: string, version: number): Promise<string[]> {
    return this.serialize(() => this.doUnregister(name, version));
  }

  /** Stores a new profile for a served model and seeds its estimates from it. */
  async storeProfile(m: ServedModel, profile: ModelProfile, save: (m: RepoModel, p: ModelProfile) => Promise<void>): Promise<void> {
    await this.serialize(async () => {
      await save(m, profile);
      this.estimates.seed(m.key, profile);
    });
  }

  private names(meta: RegisterMetadata__Output): string[] {
    const name = meta.name;
    if (!MODEL_NAME_PATTERN.test(name) || name.includes('..')) {
      throw invalidArgument(`model name ${JSON.stringify(name)} is not valid: 1-128 letters, digits, '_', '.', '-', starting with a letter or digit`);
    }
    const copies = meta.copies || 1;
    if (copies > MAX_COPIES) throw invalidArgument(`copies must be from 1 to ${MAX_COPIES}, not ${copies}`);
    if (copies === 1) return [name];
    const names = Array.from({ length: copies }, (_, i) => `${name}-${i}`);
    if (!names.every((n) => MODEL_NAME_PATTERN.test(n))) throw invalidArgument(`model name ${name} is too long for ${copies} copies`);
    return names;
  }

  private checkVersion(asked: number): void {
    if (asked !== 0 && !isModelVersion(asked)) throw invalidArgument(`version must be ${MODEL_VERSION_RANGE}, or 0 for the next one; not ${asked}`);
  }

  private versionFor(name: string, asked: number): number {
    this.checkVersion(asked);
    const served = this.core.registry.versions(name).map((m) => m.config.version);
    let onDisk: number[] = [];
    try {
      onDisk = fs.readdirSync(path.join(this.opts.repoDir, name)).flatMap((v) => parseModelVersion(v) ?? []);
    } catch {
      onDisk = [];
    }
    const all = [...served, ...onDisk];
    if (asked === 0) {
      const next = Math.max(0, ...all) + 1;
      if (next > MAX_MODEL_VERSION) {
        throw invalidArgument(`model ${name} already has version ${MAX_MODEL_VERSION}, the highest there is: give a free version ${MODEL_VERSION_RANGE} explicitly`);
      }
      return next;
    }
    if (all.includes(asked)) {
      throw new PunctualError(Status.ALREADY_EXISTS, `model ${name} version ${asked} already exists (versions: ${[...new Set(all)].sort((a, b) => a - b).join(', ')})`, 'already_exists');
    }
    return asked;
  }

  private async doRegister(meta: RegisterMetadata__Output, upload: ModelFile): Promise<RegisterOutcome> {
    const started = this.clock.now();
    const names = this.names(meta);
    const versions = names.map((n) => this.versionFor(n, meta.version));

    // onnxruntime must open it (in a worker thread: session creation blocks).
    let signature;
    try {
      ({ signature } = await profileModel(names[0]!, upload, [], [], { loads: 1 }));
    } catch (err) {
      throw invalidArgument(`not a valid ONNX model (onnxruntime cannot open it): ${err instanceof Error ? err.message : String(err)}`);
    }
    const inputs = resolveInputs(meta.inputs, signature);
    const maxBatch = meta.maxBatch || 1;
    const raw = {
      inputs,
      maxBatch,
      ...(meta.batchSizes.length > 0 ? { batchSizes: meta.batchSizes } : {}),
      defaultSloMs: meta.defaultSloMs || 100,
    };
    let base: ModelConfig;
    try {
      base = parseModelConfig(raw, 'registration', names[0]!, versions[0]!);
    } catch (err) {
      throw invalidArgument(err instanceof Error ? err.message : String(err));
    }
    const problem = checkSignature(base, signature);
    if (problem) throw invalidArgument(problem);
    base.outputs = outputsOf(signature);

    let profile: ModelProfile;
    try {
      ({ profile } = await profileModel(modelKey(names[0]!, versions[0]!), upload, inputs, base.batchSizes, {
        iterations: this.opts.profileIterations,
        loads: 1,
      }));
    } catch (err) {
      throw invalidArgument(`the model does not run with the declared inputs: ${err instanceof Error ? err.message : String(err)}`);
    }

    const served: ServedModel[] = [];
    const replaced: string[] = [];
    for (let i = 0; i < names.length; i++) {
      const config: ModelConfig = { ...base, name: names[i]!, version: versions[i]! };
      const key = modelKey(config.name, config.version);
      const p: ModelProfile = { ...profile, model: key };
      // The last copy takes the uploaded file itself (a rename); the others link to it.
      const keepSource = i < names.length - 1;
      const dir = await writeVersion(this.opts.repoDir, { config, source: upload.file, keepSource, profile: p });
      const repoModel: RepoModel = { key, config, dir, file: path.join(dir, 'model.onnx'), size: upload.size, sha256: upload.sha256, profile: p };
      const { model, previous } = await this.makeServable(repoModel);
      served.push(model);
      if (previous) replaced.push(previous);
    }
    const readyMs = this.clock.now() - started;
    this.log.info({ event: 'registered', models: served.map((m) => m.key), replaced, readyMs }, `registered ${served.map((m) => m.key).join(', ')}`);
    return { models: served, replaced, readyMs };
  }

  /** Bytes on every worker, estimates, warm where the old version is loaded, switch, drain the old one. */
  private async makeServable(m: RepoModel): Promise<{ model: ServedModel; previous?: string }> {
    const { core } = this;
    await this.distribute(m);
    this.estimates.seed(m.key, m.profile!);
    core.addModel(m);
    const versions = core.registry.versions(m.config.name);
    const old = versions[versions.length - 1];
    if (old && old.config.version < m.config.version) await this.warmLike(m.key, old.key);
    const model = core.registry.add(m);
    await this.distribute(m); // a worker that joined meanwhile
    if (!old || old.config.version > m.config.version) return { model };
    await this.drain(old.key);
    // Unload it everywhere; it stays registered (pinnable) and loads again on demand.
    core.removeModel(old.key);
    core.addModel(old);
    this.log.info({ event: 'version_swapped', from: old.key, to: m.key }, `${m.key} replaced ${old.key}`);
    return { model, previous: old.key };
  }

  private async distribute(m: RepoModel): Promise<void> {
    await Promise.all(
      [...this.core.workers.values()].map((w) =>
        w.ensureBytes(m.key, m).catch((err: unknown) => {
          this.log.warn({ event: 'bytes_not_taken', worker: w.name, model: m.key, err: String(err) }, 'a worker did not take model bytes');
        }),
      ),
    );
  }

  /** Loads `key` on every executor holding `like`, and waits until those loads finished (or failed). */
  private async warmLike(key: string, like: string): Promise<void> {
    const { view } = this.core;
    const targets = [...view.executors()].filter((e) => e.holds(like)).map((e) => e.spec.id);
    if (targets.length === 0) return;
    this.core.load(key, targets);
    const loaded = await this.core.until(() => !targets.some((id) => view.executor(id)?.models.get(key)?.state === 'loading'), this.opts.warmTimeoutMs);
    if (loaded) return;
    this.log.warn({ event: 'warm_timeout', model: key }, `${key} did not finish loading in time; switching anyway`);
  }

  /** Waits until no request of `key` is queued or running. */
  private async drain(key: string): Promise<void> {
    await this.core.until(() => this.core.pendingFor(key) === 0, this.opts.drainTimeoutMs);
  }

  private async doUnregister(name: string, version: number): Promise<string[]> {
    const { core } = this;
    const all = core.registry.versions(name);
    if (all.length === 0) {
      const names = [...new Set(core.registry.all().map((m) => m.config.name))].sort();
      throw notFound(`model ${JSON.stringify(name)} is not registered; registered models: ${names.length ? names.join(', ') : '(none)'}`);
    }
    const targets = version === 0 ? all : all.filter((m) => m.config.version === version);
    if (targets.length === 0) {
      throw notFound(`model ${name} has no version ${version}; versions: ${all.map((m) => m.config.version).join(', ')}`);
    }
    for (const m of targets) core.registry.remove(m.key); // new requests: NOT_FOUND
    for (const m of targets) {
      await this.drain(m.key);
      core.removeModel(m.key); // the unloads go out before the bytes are forgotten
      this.estimates.forget(m.key);
      for (const w of core.workers.values()) w.forget(m.key);
      await removeVersion(this.opts.repoDir, m.config.name, m.config.version);
    }
    core.pump();
    const removed = targets.map((m) => m.key);
    this.log.info({ event: 'unregistered', models: removed }, `unregistered ${removed.join(', ')}`);
    return removed;
  }
}
