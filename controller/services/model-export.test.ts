// Admin.ExportModel against a real in-process grpc-js server (the real
// adapter, roles and registry) and the client library: the registration and
// the bytes of the file as registered, NOT_FOUND, the admin role only, a
// cancelled export stops reading the file, and PunctualAdmin.registerStream
// sends an export on as RegisterModel takes it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PunctualAdmin } from '../../client/admin.js';
import { ModelNotFoundError, PermissionDeniedError, PunctualClientError, UnauthenticatedError } from '../../client/errors.js';
import { ManualClock } from '../../common/clock.js';
import { Status, invalidArgument } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { protos } from '../../common/protos.js';
import type { AdminHandlers, RegisterMetadata__Output } from '../../common/wire.js';
import { Authorizer } from '../auth.js';
import { checkedDecoding } from '../checked-decoding.js';
import { ModelRegistry } from '../model-registry.js';
import type { RepoModel } from '../model-repository.js';
import { Estimates } from '../scheduler/estimates.js';
import { ServingCore } from '../serving-core.js';
import { ADMIN_ROLES } from './admin-service.js';
import { MODEL_CHUNK_BYTES } from '../../common/protos.js';
import { exportModel, type ExportCall } from './model-export.js';
import { serveService, type ServiceImpl } from './server-call.js';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

describe('ExportModel', () => {
  const clock = new ManualClock(0);
  const registry = new ModelRegistry();
  let dir: string;
  let server: grpc.Server;
  let address: string;
  let admin: PunctualAdmin;
  const files = new Map<string, Buffer>();
  /** Per export the server ran: chunks written, and when it finished. */
  const exports: { writes: number; done: Promise<void> }[] = [];
  /** What the fake RegisterModel received last. */
  let received: { meta?: RegisterMetadata__Output; bytes: Buffer; chunks: number } | undefined;
  let refuseRegistration = false;

  /** A version of `name` with a file of `size` random bytes. */
  function add(name: string, version: number, size: number, declaredSize = size): void {
    const bytes = crypto.randomBytes(size);
    const vdir = path.join(dir, name, String(version));
    fs.mkdirSync(vdir, { recursive: true });
    const file = path.join(vdir, 'model.onnx');
    fs.writeFileSync(file, bytes);
    files.set(`${name}@${version}`, bytes);
    const m: RepoModel = {
      key: `${name}@${version}`,
      config: { name, version, inputs: [{ name: 'x', dtype: 'float32', shape: [3, 4] }], outputs: [], maxBatch: 8, batchSizes: [1, 2, 4, 8], defaultSloMs: 50, ...(version === 2 ? { threads: 2 } : {}) },
      dir: vdir,
      file,
      size: declaredSize,
      sha256: sha(bytes),
    };
    registry.add(m);
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-export-'));
    add('m', 1, 100);
    add('m', 2, 2 * MiB + 12_345);
    add('big', 1, 48 * MiB);
    add('short', 1, 1000, 5000);
    const core = new ServingCore({ clock, registry, estimates: new Estimates({ clock }), log: createLogger('test', 'silent') });
    const impl = {
      ExportModel: (req, call: ExportCall) => {
        const counted = { writes: 0, done: Promise.resolve() };
        const write = call.write.bind(call) as (...args: unknown[]) => boolean;
        call.write = ((...args: unknown[]) => {
          counted.writes++;
          return write(...args);
        }) as typeof call.write;
        counted.done = exportModel(registry.resolve(req.name, req.version), call);
        exports.push(counted);
        return counted.done;
      },
      RegisterModel: async (call) => {
        const got: NonNullable<typeof received> = { bytes: Buffer.alloc(0), chunks: 0 };
        received = got;
        const parts: Buffer[] = [];
        for await (const msg of call) {
          if (msg.meta) got.meta = msg.meta;
          if (msg.meta && refuseRegistration) throw invalidArgument('refused');
          if (msg.chunk) {
            got.chunks++;
            parts.push(msg.chunk);
          }
        }
        got.bytes = Buffer.concat(parts);
        return { models: [], replaced: [], readyMs: 0 };
      },
    } as Partial<ServiceImpl<AdminHandlers>> as ServiceImpl<AdminHandlers>;
    const def = protos().admin.punctual.v1.Admin.service;
    server = new grpc.Server();
    server.addService(checkedDecoding(def), serveService(def, impl, ADMIN_ROLES, { auth: new Authorizer({ adminToken: 'admin-token', inferToken: 'infer-token' }), core, clock }));
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    address = `127.0.0.1:${port}`;
    admin = new PunctualAdmin(address, { token: 'admin-token' });
  });

  afterAll(() => {
    admin.close();
    server.forceShutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; sizes: number[] }> {
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(Buffer.from(c));
    return { bytes: Buffer.concat(parts), sizes: parts.map((p) => p.byteLength) };
  }

  it('sends the registration, then the file as registered, in chunks of the upload size; version 0 is the newest', async () => {
    const e = await admin.exportModel('m');
    expect(e.meta).toEqual({
      name: 'm',
      version: 2,
      inputs: [{ name: 'x', dtype: 'float32', shape: [3, 4] }],
      maxBatch: 8,
      batchSizes: [1, 2, 4, 8],
      defaultSloMs: 50,
      size: 2 * MiB + 12_345,
      sha256: sha(files.get('m@2')!),
      copies: 1,
      threads: 2,
    });
    const { bytes, sizes } = await readAll(e.chunks);
    expect(bytes.equals(files.get('m@2')!)).toBe(true);
    expect(sha(bytes)).toBe(e.meta.sha256);
    expect(sizes).toEqual([MODEL_CHUNK_BYTES, MODEL_CHUNK_BYTES, 12_345]);
    const pinned = await admin.exportModel('m', 1);
    expect(pinned.meta).toMatchObject({ version: 1, size: 100, threads: 0 });
    expect((await readAll(pinned.chunks)).bytes.equals(files.get('m@1')!)).toBe(true);
  });

  it('is NOT_FOUND for a name or version not held', async () => {
    await expect(admin.exportModel('nope')).rejects.toBeInstanceOf(ModelNotFoundError);
    const err = await admin.exportModel('m', 7).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect((err as Error).message).toMatch(/no version 7/);
  });

  it('takes the admin token only', async () => {
    const reader = new PunctualAdmin(address, { token: 'infer-token' });
    const anonymous = new PunctualAdmin(address);
    try {
      await expect(reader.exportModel('m')).rejects.toBeInstanceOf(PermissionDeniedError);
      await expect(anonymous.exportModel('m')).rejects.toBeInstanceOf(UnauthenticatedError);
    } finally {
      reader.close();
      anonymous.close();
    }
  });

  it('reads the file only as fast as the reader takes it, and stops when the export is cancelled', async () => {
    const e = await admin.exportModel('big');
    const served = exports[exports.length - 1]!;
    const it = e.chunks[Symbol.asyncIterator]();
    expect((await it.next()).value?.byteLength).toBe(MODEL_CHUNK_BYTES);
    await new Promise((r) => setTimeout(r, 200));
    // Flow control and one write at a time hold the rest back: far from all 48 chunks were read
    // (17 here, 25 on CI's machine: grpc-js's read-ahead and the HTTP/2 windows, not the file, set it).
    expect(served.writes).toBeLessThan(40);
    const atCancel = served.writes;
    e.cancel();
    await served.done;
    // Cancelled: at most the writes already under way (1 here, 2 on CI's machine), then no more reading.
    expect(served.writes).toBeLessThanOrEqual(atCancel + 4);
    expect(served.writes).toBeLessThan(48);
  });

  it('fails with DATA_LOSS when the file is shorter than the repository says', async () => {
    const e = await admin.exportModel('short');
    const err = await readAll(e.chunks).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PunctualClientError);
    expect((err as PunctualClientError).code).toBe(Status.DATA_LOSS);
  });

  it('registerStream sends an export on as RegisterModel takes it: the same registration and bytes', async () => {
    const e = await admin.exportModel('m');
    const progress: number[] = [];
    await admin.registerStream(e.meta, e.chunks, { onProgress: (sent, total) => progress.push(sent / total) });
    expect(received?.meta).toEqual(e.meta);
    expect(received?.bytes.equals(files.get('m@2')!)).toBe(true);
    expect(received?.chunks).toBe(3);
    expect(progress[progress.length - 1]).toBe(1);
  });

  it('registerStream stops reading the bytes when the registration is refused, and rejects with the refusal', async () => {
    refuseRegistration = true;
    try {
      let taken = 0;
      let stopped = false;
      async function* endless(): AsyncGenerator<Uint8Array> {
        try {
          for (;;) {
            taken++;
            yield new Uint8Array(64 * 1024);
            await new Promise((r) => setTimeout(r, 1));
          }
        } finally {
          stopped = true;
        }
      }
      const err = await admin.registerStream({ name: 'x', size: 1 << 30, sha256: '0'.repeat(64) }, endless()).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(PunctualClientError);
      expect((err as PunctualClientError).code).toBe(Status.INVALID_ARGUMENT);
      await vi.waitFor(() => expect(stopped).toBe(true));
      expect(taken).toBeLessThan(16_384);
    } finally {
      refuseRegistration = false;
    }
  });
});
