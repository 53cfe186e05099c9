// Operating a running cluster (issue 3), against a real controller and
// worker process with real onnxruntime: register → infer → describe → a new
// version under load (no request fails) → unregister; every bad input
// refused with its status, the repository unchanged (no upload left behind)
// and other models still serving; uploads beyond --max-concurrent-uploads are
// refused at once and an idle one is abandoned after --upload-idle-timeout; a
// controller killed mid-upload and restarted serves what was registered
// (up to version 999999999), without re-upload, and cleans what a crash left
// behind.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelNotFoundError, PunctualAdmin, type PunctualClient } from '../client/index.js';
import { runCliCaptured } from './support/run-cli.js';
import { CHANNEL_OPTIONS, protos } from '../common/protos.js';
import type { RegisterModelRequest, RegisterModelResponse__Output } from '../common/wire.js';
import { buildAddModel } from './support/onnx-builder.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';
import { outcomeOf } from './support/outcome.js';

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

type AdminStub = InstanceType<ReturnType<typeof protos>['admin']['punctual']['v1']['Admin']>;

/** A raw RegisterModel stream, to send what the client library never would. */
function rawUpload(address: string, messages: RegisterModelRequest[], end = true): { done: Promise<{ status: string; message: string }>; stub: AdminStub } {
  const stub = new (protos().admin.punctual.v1.Admin)(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  const done = new Promise<{ status: string; message: string }>((resolve) => {
    const call = stub.RegisterModel((err: grpc.ServiceError | null, _res?: RegisterModelResponse__Output) =>
      resolve(err ? { status: grpc.status[err.code] ?? String(err.code), message: err.details } : { status: 'OK', message: '' }),
    );
    for (const m of messages) call.write(m);
    if (end) call.end();
  });
  return { done, stub };
}

const cli = runCliCaptured;

const x = new Float32Array([1, 2, 3, 4]);
const sha = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

async function inferCls(client: PunctualClient): Promise<void> {
  const r = await client.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 5000 });
  expect(r.model).toBe('cls');
}

describe('operating a running cluster', () => {
  let cluster: TestCluster;
  let admin: PunctualAdmin;
  let tmp: string;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['cls']);
    await cluster.startController(['--max-model-bytes', '64KiB', '--profile-iterations', '5', '--max-concurrent-uploads', '1', '--upload-idle-timeout', '1']);
    cluster.startWorker({ memory: '1GiB' });
    await cluster.waitForWorkers(1);
    admin = new PunctualAdmin(cluster.address);
    tmp = fs.mkdtempSync(path.join(path.dirname(cluster.repo), 'files-'));
    fs.writeFileSync(path.join(tmp, 'add1.onnx'), buildAddModel({ addend: 1 }));
    fs.writeFileSync(path.join(tmp, 'dyn.onnx'), buildAddModel({ dims: ['N', 'C'], addend: 3 }));
  });
  afterAll(async () => {
    admin?.close();
    await cluster?.stop();
  });

  it('registers a model from the CLI, serves it, and describes it', async () => {
    const reg = await cli(['--controller', cluster.address, '--json', 'models', 'register', path.join(tmp, 'add1.onnx'), '--name', 'add', '--max-batch', '4']);
    expect(reg.code).toBe(0);
    const out = JSON.parse(reg.stdout) as RegisterModelResponse__Output;
    expect(out.models.map((m) => [m.name, m.version, m.inputs[0]?.name, m.inputs[0]?.shape])).toEqual([['add', 1, 'x', [4]]]);
    expect(fs.existsSync(path.join(cluster.repo, 'add', '1', 'profile.json'))).toBe(true);

    const r = await cluster.client.infer('add', { x }, { sloMs: 5000 });
    expect([...(r.outputs.y?.data as Float32Array)]).toEqual([2, 3, 4, 5]);

    const d = await admin.describe('add');
    expect(d.versions).toHaveLength(1);
    const v = d.versions[0]!;
    expect(v.isDefault).toBe(true);
    expect(v.info?.loadedOn.length).toBe(1);
    expect(v.info?.requestsOk).toBe(1);
    expect(v.profile?.classes[0]?.executorClass).toBe('cpu/t1');
    expect(v.profile?.classes[0]?.batches.map((b) => b.batchSize)).toEqual([1, 2, 4]);

    const human = await cli(['--controller', cluster.address, 'models', 'describe', 'add']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('add v1 (default)');
    expect(human.stdout).toMatch(/cpu\/t1\s+1\s+1\s/);
  });

  it('exports a registered version as it was uploaded: its registration, then the same bytes; a copy as one model of its name', async () => {
    const bytes = fs.readFileSync(path.join(tmp, 'add1.onnx'));
    await admin.register(bytes, { name: 'exported', version: 5, maxBatch: 4, defaultSloMs: 40 });
    const e = await admin.exportModel('exported');
    expect(e.meta).toMatchObject({ name: 'exported', version: 5, maxBatch: 4, batchSizes: [1, 2, 4], defaultSloMs: 40, size: bytes.byteLength, sha256: sha(bytes), copies: 1 });
    expect(e.meta.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [4] }]);
    const parts: Buffer[] = [];
    for await (const c of e.chunks) parts.push(Buffer.from(c));
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
    await admin.register(bytes, { name: 'exp', copies: 3 });
    const copy = await admin.exportModel('exp-2');
    expect(copy.meta).toMatchObject({ name: 'exp-2', version: 1, copies: 1, sha256: sha(bytes) });
    copy.cancel();
    await expect(admin.exportModel('never-registered')).rejects.toBeInstanceOf(ModelNotFoundError);
    for (const name of ['exported', 'exp-0', 'exp-1', 'exp-2']) await admin.unregister(name);
  });

  it('reads a dynamic input shape from --input-shape and refuses it without one', async () => {
    const missing = await cli(['--controller', cluster.address, '--json', 'models', 'register', path.join(tmp, 'dyn.onnx'), '--name', 'dyn']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringContaining('--input-shape') });
    const ok = await cli(['--controller', cluster.address, 'models', 'register', path.join(tmp, 'dyn.onnx'), '--name', 'dyn', '--input-shape', '6']);
    expect(ok.code).toBe(0);
    const r = await cluster.client.infer('dyn', { x: new Float32Array(6) }, { sloMs: 5000 });
    expect([...(r.outputs.y?.data as Float32Array)]).toEqual([3, 3, 3, 3, 3, 3]);
  });

  it('profiles a model again with 1..T threads, stores it and records the most predictable thread count', async () => {
    const run = await cli(['--controller', cluster.address, '--json', 'profile', 'dyn', '--iterations', '3', '--max-threads', '2']);
    expect(run.code).toBe(0);
    const res = JSON.parse(run.stdout) as { profile: { threadTrials: { threads: number }[]; bestThreads: number; classes: { executorClass: string }[] } };
    expect(res.profile.threadTrials.map((t) => t.threads)).toEqual([1, 2]);
    expect([1, 2]).toContain(res.profile.bestThreads);
    expect(res.profile.classes.map((c) => c.executorClass).sort()).toEqual(['cpu/t1', 'cpu/t2']);
    const stored = JSON.parse(fs.readFileSync(path.join(cluster.repo, 'dyn', '1', 'profile.json'), 'utf8')) as { bestThreads: number };
    expect(stored.bestThreads).toBe(res.profile.bestThreads);
    const human = await cli(['--controller', cluster.address, 'profile', 'dyn', '--iterations', '2', '--max-threads', '1', '--batch-sizes', '1']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('dyn v1');
    expect(human.stdout).toContain('intra-op threads at batch 1');
    // Not a terminal: no progress bar drawn on stderr.
    expect(human.stderr).not.toMatch(/\u001b\[|\[[░█]+\]/);
    const bad = await cli(['--controller', cluster.address, '--json', 'profile', 'dyn', '--batch-sizes', '2']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ status: 'INVALID_ARGUMENT' });
  });

  it('streams profiling progress, run by run over every thread count, before the result', async () => {
    const events: { done: number; total: number; threads: number; batchSize: number }[] = [];
    const res = await admin.profile('dyn', { iterations: 4, maxThreads: 2, batchSizes: [1], onProgress: (p) => events.push({ ...p }) });
    expect(res.model).toBe('dyn');
    expect(res.profile?.threadTrials.map((t) => t.threads)).toEqual([1, 2]);
    // 2 warm-up + 4 timed runs at batch 1, for 1 and 2 threads.
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(new Set(events.map((e) => e.total))).toEqual(new Set([12]));
    expect(events[0]!.done).toBe(0);
    expect(events.at(-1)!.done).toBe(12);
    for (let i = 1; i < events.length; i++) expect(events[i]!.done).toBeGreaterThanOrEqual(events[i - 1]!.done);
    expect([...new Set(events.map((e) => e.threads))]).toEqual([1, 2]);
    expect(events.every((e) => e.batchSize === 1)).toBe(true);
    // An error still arrives as a status, with no result.
    expect(await outcomeOf(admin.profile('nope'))).toEqual({ status: 'NOT_FOUND', message: expect.any(String) });
  });

  it('swaps in a new version under load without failing a request, and the old one stays pinnable', async () => {
    let stop = false;
    const errors: string[] = [];
    const versions = new Set<number>();
    const loop = async (): Promise<number> => {
      let n = 0;
      while (!stop) {
        try {
          const r = await cluster.client.infer('add', { x }, { sloMs: 2000 });
          const y = [...(r.outputs.y?.data as Float32Array)];
          expect(y).toEqual(r.version === 1 ? [2, 3, 4, 5] : [3, 4, 5, 6]);
          versions.add(r.version);
          n++;
        } catch (err) {
          errors.push(err instanceof Error ? err.message : String(err));
        }
      }
      return n;
    };
    const loops = [loop(), loop(), loop()];
    await new Promise((r) => setTimeout(r, 200));
    const res = await admin.register(buildAddModel({ addend: 2 }), { name: 'add', maxBatch: 4 });
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    const counts = await Promise.all(loops);
    expect(errors).toEqual([]);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
    expect([...versions].sort()).toEqual([1, 2]);
    expect(res.models[0]?.version).toBe(2);
    expect(res.replaced).toEqual(['add@1']);

    const latest = await cluster.client.infer('add', { x }, { sloMs: 5000 });
    expect(latest.version).toBe(2);
    const d = await admin.describe('add');
    expect(d.versions.map((v) => [v.info?.version, v.isDefault, v.info?.loadedOn.length])).toEqual([
      [1, false, 0],
      [2, true, 1],
    ]);
    const pinned = await cluster.client.infer('add', { x }, { sloMs: 5000, version: 1 });
    expect([...(pinned.outputs.y?.data as Float32Array)]).toEqual([2, 3, 4, 5]);
  });

  it('refuses every bad input with a clear status, leaving the repository and other models as they were', async () => {
    const before = files(cluster.repo);
    const good = buildAddModel({ addend: 5 });
    const corrupt = crypto.randomBytes(2000);
    // One at a time: the controller takes one upload at once (--max-concurrent-uploads 1).
    const cases: [string, () => Promise<{ status: string; message: string }>, string, RegExp][] = [
      ['corrupt file', () => outcomeOf(admin.register(corrupt, { name: 'bad' })), 'INVALID_ARGUMENT', /not a valid ONNX model/],
      ['text file', () => outcomeOf(admin.register(Buffer.from('hello, not onnx'), { name: 'bad' })), 'INVALID_ARGUMENT', /not a valid ONNX model/],
      [
        'truncated upload',
        () => rawUpload(cluster.address, [{ meta: { name: 'bad', size: good.byteLength, sha256: sha(good) } }, { chunk: good.subarray(0, 50) }]).done,
        'INVALID_ARGUMENT',
        /truncated upload: received 50 of \d+ bytes/,
      ],
      [
        'checksum mismatch',
        () => rawUpload(cluster.address, [{ meta: { name: 'bad', size: good.byteLength, sha256: sha(corrupt) } }, { chunk: good }]).done,
        'INVALID_ARGUMENT',
        /checksum mismatch/,
      ],
      ['too large', () => outcomeOf(admin.register(buildAddModel({ paddingBytes: 100_000 }), { name: 'bad' })), 'INVALID_ARGUMENT', /larger than the controller's limit of 65536 bytes/],
      ['duplicate version', () => outcomeOf(admin.register(good, { name: 'add', version: 2 })), 'ALREADY_EXISTS', /add version 2 already exists/],
      ['version too high', () => outcomeOf(admin.register(good, { name: 'add', version: 1_000_000_000 })), 'INVALID_ARGUMENT', /version must be from 1 to 999999999, or 0 for the next one/],
      ['unknown model', () => outcomeOf(admin.unregister('nope')), 'NOT_FOUND', /"nope" is not registered/],
      ['shape mismatch', () => outcomeOf(admin.register(good, { name: 'bad', inputs: [{ name: '', shape: [5] }] })), 'INVALID_ARGUMENT', /\[5\] does not match the model's input x \[\?, 4\]/],
      ['path in name', () => outcomeOf(admin.register(good, { name: '../evil' })), 'INVALID_ARGUMENT', /model name "..\/evil" is not valid/],
      ['slash in name', () => outcomeOf(admin.register(good, { name: 'a/b' })), 'INVALID_ARGUMENT', /is not valid/],
    ];
    for (const [what, outcome, status, message] of cases) {
      const got = await outcome();
      expect({ what, status: got.status }).toEqual({ what, status });
      expect(got.message).toMatch(message);
      // Nothing left behind, not even a temporary upload file.
      expect(files(cluster.repo)).toEqual(before);
    }
    await inferCls(cluster.client);
    const r = await cluster.client.infer('add', { x }, { sloMs: 5000 });
    expect(r.version).toBe(2);
    const json = await cli(['--controller', cluster.address, '--json', 'models', 'unregister', 'nope']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('refuses an upload beyond --max-concurrent-uploads at once, abandons an idle one after --upload-idle-timeout, then takes the next', async () => {
    const uploads = path.join(cluster.repo, '.uploads');
    const model = buildAddModel({ addend: 4 });
    // Meta and a few bytes, then nothing: it holds the only slot.
    const idle = rawUpload(cluster.address, [{ meta: { name: 'slow', size: model.byteLength, sha256: sha(model) } }, { chunk: model.subarray(0, 10) }], false);
    while (!(fs.existsSync(uploads) && fs.readdirSync(uploads).length === 1)) await new Promise((r) => setTimeout(r, 10));
    expect(await outcomeOf(admin.register(model, { name: 'other' }))).toEqual({
      status: 'RESOURCE_EXHAUSTED',
      message: '1 model upload is in progress (--max-concurrent-uploads); retry when one finishes',
    });
    expect(await idle.done).toEqual({ status: 'DEADLINE_EXCEEDED', message: 'no upload data for 1 s: upload abandoned' });
    idle.stub.close();
    expect(fs.readdirSync(uploads)).toEqual([]);
    const res = await admin.register(model, { name: 'other' });
    expect(res.models.map((m) => `${m.name}@${m.version}`)).toEqual(['other@1']);
    expect(fs.readdirSync(uploads)).toEqual([]);
    expect(await admin.unregister('other')).toEqual(['other@1']);
  });

  it('registers --copies N from one upload: each copy its own folder and file, all serving, the upload moved away', async () => {
    const res = await admin.register(buildAddModel({ addend: 6 }), { name: 'many', copies: 3 });
    expect(res.models.map((m) => `${m.name}@${m.version}`)).toEqual(['many-0@1', 'many-1@1', 'many-2@1']);
    for (let i = 0; i < 3; i++) {
      const r = await cluster.client.infer(`many-${i}`, { x }, { sloMs: 5000 });
      expect([...(r.outputs.y?.data as Float32Array)]).toEqual([7, 8, 9, 10]);
    }
    expect(fs.readdirSync(path.join(cluster.repo, '.uploads'))).toEqual([]);
    // Removing one leaves the others' files whole.
    await admin.unregister('many-0');
    expect(fs.statSync(path.join(cluster.repo, 'many-1', '1', 'model.onnx')).size).toBe(res.models[1]!.sizeBytes);
    for (const n of ['many-1', 'many-2']) await admin.unregister(n);
  });

  it('unregisters every version: requests get NOT_FOUND, the files are gone, other models serve', async () => {
    const removed = await admin.unregister('add');
    expect(removed).toEqual(['add@1', 'add@2']);
    expect((await outcomeOf(cluster.client.infer('add', { x: { data: x, shape: [4] } }, { sloMs: 5000 }))).status).toBe('NOT_FOUND');
    expect(fs.existsSync(path.join(cluster.repo, 'add'))).toBe(false);
    expect((await admin.listModels()).map((m) => m.name).sort()).toEqual(['cls', 'dyn']);
    await inferCls(cluster.client);
  });

  it('after a crash mid-upload and a restart, serves what was registered without re-upload and cleans the leftovers', async () => {
    await admin.register(buildAddModel({ addend: 7 }), { name: 'keep' });
    // A version folder at the highest version there is, put there by hand: it must load after the restart.
    fs.cpSync(path.join(cluster.repo, 'keep', '1'), path.join(cluster.repo, 'keep', '999999999'), { recursive: true });
    const before = files(cluster.repo);
    // An upload in progress when the controller dies: meta and half the bytes, never ended.
    const half = buildAddModel({ addend: 9 });
    const upload = rawUpload(cluster.address, [{ meta: { name: 'half', size: half.byteLength, sha256: sha(half) } }, { chunk: half.subarray(0, 60) }], false);
    await new Promise((r) => setTimeout(r, 200));
    const port = cluster.address.split(':')[1]!;
    await cluster.stopController('SIGKILL');
    expect((await upload.done).status).toBe('UNAVAILABLE');
    upload.stub.close();
    // The bytes it had received, in a temporary file.
    expect(fs.readdirSync(path.join(cluster.repo, '.uploads'))).toEqual([expect.stringMatching(/\.part$/)]);
    // What a crash between writing a version and renaming it into place leaves.
    const stale = path.join(cluster.repo, 'keep', '.tmp-2-12345-deadbeef');
    fs.mkdirSync(stale);
    fs.writeFileSync(path.join(stale, 'model.onnx'), half.subarray(0, 30));
    expect(files(cluster.repo)).not.toEqual(before);

    await cluster.startController(['--port', port]);
    await cluster.waitForWorkers(1);
    expect(files(cluster.repo)).toEqual(before);
    admin.close();
    admin = new PunctualAdmin(cluster.address);
    expect((await admin.listModels()).map((m) => `${m.name}@${m.version}`).sort()).toEqual(['cls@1', 'dyn@1', 'keep@1', 'keep@999999999']);
    const r = await cluster.client.infer('keep', { x }, { sloMs: 5000 });
    expect(r.version).toBe(999_999_999);
    expect([...(r.outputs.y?.data as Float32Array)]).toEqual([8, 9, 10, 11]);
    const first = await cluster.client.infer('keep', { x }, { sloMs: 5000, version: 1 });
    expect([...(first.outputs.y?.data as Float32Array)]).toEqual([8, 9, 10, 11]);
    // Past the highest version, the next one cannot be numbered.
    expect(await outcomeOf(admin.register(buildAddModel({ addend: 8 }), { name: 'keep' }))).toEqual({
      status: 'INVALID_ARGUMENT',
      message: expect.stringContaining('already has version 999999999, the highest there is') as unknown as string,
    });
  });
});
