// The server-call adapter against a real in-process grpc-js server on port 0:
// what a handler throws becomes its status (anything unexpected INTERNAL,
// logged, its detail kept back), auth refuses before a handler runs, an
// undecodable request is INVALID_ARGUMENT, and an admitted method's checks
// are counted as not admitted through the serving core's observers, once.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import { PunctualError, Status, invalidArgument } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { protos } from '../../common/protos.js';
import type { AdminHandlers, InferenceHandlers, WorkerControlHandlers } from '../../common/wire.js';
import { ARRIVAL_KEY } from '../arrival.js';
import { Authorizer } from '../auth.js';
import { checkedDecoding } from '../checked-decoding.js';
import { ModelRegistry } from '../model-registry.js';
import { Estimates } from '../scheduler/estimates.js';
import { ServingCore } from '../serving-core.js';
import { ADMIN_ROLES } from './admin-service.js';
import { INFERENCE_ROLES } from './inference-service.js';
import { admitted, serveService, type ServiceImpl } from './server-call.js';
import { WORKER_ROLES } from './worker-service.js';

const ADMIN = 'Bearer admin-token';
const INFER = 'Bearer infer-token';

/** What each test makes the handlers do; `ran` counts the handler calls that got through. */
let behave: () => unknown;
let ran: string[];
/** Admitted Infer: its check and its run. */
let check: (arrival: number) => unknown;
let run: () => Promise<unknown>;

const p = protos();
const adminDef = p.admin.punctual.v1.Admin.service;
const inferenceDef = p.inference.punctual.v1.Inference.service;
const workerDef = p.worker.punctual.v1.WorkerControl.service;

const adminImpl: ServiceImpl<AdminHandlers> = {
  ClusterStatus: () => {
    ran.push('ClusterStatus');
    return behave() as never;
  },
  ListModels: () => {
    ran.push('ListModels');
    return { models: [] };
  },
  GetRing: () => {
    ran.push('GetRing');
    return { members: [], version: '', self: '' };
  },
  DescribeModel: () => {
    ran.push('DescribeModel');
    return behave() as never;
  },
  UnregisterModel: async () => {
    ran.push('UnregisterModel');
    return (await behave()) as never;
  },
  RegisterModel: async (call) => {
    ran.push('RegisterModel');
    let chunks = 0;
    for await (const _msg of call) chunks++;
    await behave();
    return { models: [], replaced: [`${chunks} messages`], readyMs: 1 };
  },
  ProfileModel: async (req, call) => {
    ran.push('ProfileModel');
    call.write({ progress: { batchSize: 1, threads: 1, done: 1, total: 2 } });
    await behave();
    call.write({ result: { model: req.name, version: 1 } });
  },
  ExportModel: async (req, call) => {
    ran.push('ExportModel');
    call.write({ meta: { name: req.name, version: 1, size: 2 } });
    await behave();
    call.write({ chunk: Buffer.from([1, 2]) });
  },
};

const inferenceImpl: ServiceImpl<InferenceHandlers> = {
  Infer: admitted({
    check: (_req, _call, arrival) => {
      ran.push('check');
      return check(arrival);
    },
    run: () => {
      ran.push('run');
      return run() as never;
    },
  }),
  Admit: async () => {
    ran.push('Admit');
    await behave();
  },
};

const workerImpl: ServiceImpl<WorkerControlHandlers> = {
  Connect: (stream) => {
    ran.push('Connect');
    behave();
    stream.end();
  },
};

interface Outcome {
  code: number;
  details: string;
  reason: string | undefined;
  value?: unknown;
  events?: unknown[];
}

const ok = (value: unknown, events?: unknown[]): Outcome => ({ code: Status.OK, details: '', reason: undefined, value, ...(events ? { events } : {}) });
const failed = (err: grpc.ServiceError, events?: unknown[]): Outcome => ({
  code: err.code,
  details: err.details,
  reason: err.metadata?.get('punctual-reason')[0]?.toString(),
  ...(events ? { events } : {}),
});

/** The method's serializer, or none for raw bytes (a request that is not a message). */
function serializerFor(m: grpc.MethodDefinition<unknown, unknown>, req: object | Buffer): (v: object | Buffer) => Buffer {
  return Buffer.isBuffer(req) ? (b) => b as Buffer : m.requestSerialize;
}

function metadataOf(token?: string, arrival?: number): grpc.Metadata {
  const md = new grpc.Metadata();
  if (token) md.set('authorization', token);
  if (arrival !== undefined) md.set(ARRIVAL_KEY, String(arrival));
  return md;
}

describe('serveService', () => {
  let server: grpc.Server;
  let client: grpc.Client;
  let core: ServingCore;
  let notAdmitted: string[];
  const clock = new ManualClock(1000);

  const unary = (def: grpc.ServiceDefinition, method: string, req: object | Buffer, token?: string, arrival?: number): Promise<Outcome> => {
    const m = def[method]!;
    const serialize = serializerFor(m, req);
    return new Promise((resolve) => {
      client.makeUnaryRequest<object | Buffer, unknown>(m.path, serialize, m.responseDeserialize, req, metadataOf(token, arrival), (err, value) => resolve(err ? failed(err) : ok(value)));
    });
  };

  const serverStream = (method: string, req: object | Buffer, token?: string): Promise<Outcome> => {
    const m = adminDef[method]!;
    const serialize = serializerFor(m, req);
    return new Promise((resolve) => {
      const events: unknown[] = [];
      const call = client.makeServerStreamRequest<object | Buffer, unknown>(m.path, serialize, m.responseDeserialize, req, metadataOf(token));
      call.on('data', (e: unknown) => events.push(e));
      call.on('error', (err: grpc.ServiceError) => resolve(failed(err, events)));
      call.on('end', () => resolve(ok(undefined, events)));
    });
  };

  const clientStream = (messages: object[], token?: string): Promise<Outcome> => {
    const m = adminDef.RegisterModel!;
    return new Promise((resolve) => {
      const call = client.makeClientStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, metadataOf(token), (err, value) => resolve(err ? failed(err) : ok(value)));
      for (const msg of messages) call.write(msg);
      call.end();
    });
  };

  const bidi = (token?: string): Promise<Outcome> => {
    const m = workerDef.Connect!;
    return new Promise((resolve) => {
      const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, metadataOf(token));
      call.on('data', () => undefined);
      call.on('error', (err: grpc.ServiceError) => resolve(failed(err)));
      call.on('end', () => resolve(ok(undefined)));
      call.end();
    });
  };

  beforeAll(async () => {
    core = new ServingCore({ clock, registry: new ModelRegistry(), estimates: new Estimates({ clock }), log: createLogger('test', 'silent') });
    core.observers.push({ notAdmitted: (status) => notAdmitted.push(status) });
    const deps = { auth: new Authorizer({ adminToken: 'admin-token', inferToken: 'infer-token' }), core, clock };
    server = new grpc.Server();
    server.addService(checkedDecoding(adminDef), serveService(adminDef, adminImpl, ADMIN_ROLES, deps));
    server.addService(checkedDecoding(inferenceDef), serveService(inferenceDef, inferenceImpl, INFERENCE_ROLES, deps));
    server.addService(checkedDecoding(workerDef), serveService(workerDef, workerImpl, WORKER_ROLES, deps));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  beforeEach(() => {
    ran = [];
    notAdmitted = [];
    behave = () => ({});
    check = () => ({});
    run = async () => ({});
    vi.restoreAllMocks();
  });

  describe('errors → statuses', () => {
    const codes = [
      Status.INVALID_ARGUMENT,
      Status.NOT_FOUND,
      Status.RESOURCE_EXHAUSTED,
      Status.UNAVAILABLE,
      Status.DEADLINE_EXCEEDED,
      Status.FAILED_PRECONDITION,
      Status.UNIMPLEMENTED,
      Status.PERMISSION_DENIED,
      Status.CANCELLED,
    ];

    it.each(codes)('a PunctualError with status %i keeps its status, message and reason, thrown or rejected', async (code) => {
      const unexpected = vi.spyOn(core, 'unexpected');
      behave = () => {
        throw new PunctualError(code, `refused with ${code}`, `reason_${code}`);
      };
      expect(await unary(adminDef, 'DescribeModel', { name: 'm' }, ADMIN)).toEqual({ code, details: `refused with ${code}`, reason: `reason_${code}` });
      behave = () => Promise.reject(new PunctualError(code, `later ${code}`, `reason_${code}`));
      expect(await unary(adminDef, 'UnregisterModel', { name: 'm' }, ADMIN)).toEqual({ code, details: `later ${code}`, reason: `reason_${code}` });
      expect(unexpected).not.toHaveBeenCalled();
    });

    it('anything else is INTERNAL, its detail logged (rate-limited, by the core) and not sent', async () => {
      const unexpected = vi.spyOn(core, 'unexpected');
      const secret = new Error('secret detail: /var/lib/punctual/key.pem');
      behave = () => {
        throw secret;
      };
      const out = await unary(adminDef, 'DescribeModel', { name: 'm' }, ADMIN);
      expect(out.code).toBe(Status.INTERNAL);
      expect(out.details).toBe('internal error (see controller log)');
      expect(out.details).not.toContain('secret');
      expect(out.reason).toBeUndefined();
      expect(unexpected).toHaveBeenCalledWith('DescribeModel', secret);
    });

    it('streams too: server streaming, client streaming and bidi map their failures the same way', async () => {
      const unexpected = vi.spyOn(core, 'unexpected');
      behave = () => Promise.reject(new Error('secret'));
      const streamed = await serverStream('ProfileModel', { name: 'm' }, ADMIN);
      expect(streamed).toMatchObject({ code: Status.INTERNAL, details: 'internal error (see controller log)' });
      expect(streamed.events).toHaveLength(1); // the progress event written before the failure
      expect(await clientStream([{}, {}], ADMIN)).toMatchObject({ code: Status.INTERNAL, details: 'internal error (see controller log)' });
      behave = () => {
        throw new Error('secret');
      };
      expect(await bidi(ADMIN)).toMatchObject({ code: Status.INTERNAL, details: 'internal error (see controller log)' });
      expect(unexpected.mock.calls.map((c) => c[0])).toEqual(['ProfileModel', 'RegisterModel', 'Connect']);
      behave = () => Promise.reject(invalidArgument('bad chunk'));
      expect(await clientStream([{}], ADMIN)).toEqual({ code: Status.INVALID_ARGUMENT, details: 'bad chunk', reason: 'invalid_argument' });
    });

    it('answers what the handler returns; a server stream is ended after its last write', async () => {
      behave = () => ({ workers: [], models: [], uptimeS: 7, policy: 'fifo' });
      expect(await unary(adminDef, 'ClusterStatus', {}, ADMIN)).toMatchObject({ code: Status.OK, value: { uptimeS: 7, policy: 'fifo' } });
      behave = () => Promise.resolve();
      const streamed = await serverStream('ProfileModel', { name: 'det' }, ADMIN);
      expect(streamed.code).toBe(Status.OK);
      expect(streamed.events).toEqual([expect.objectContaining({ progress: expect.anything() }), expect.objectContaining({ result: expect.objectContaining({ model: 'det' }) })]);
      expect(await clientStream([{}, {}, {}], ADMIN)).toMatchObject({ code: Status.OK, value: { replaced: ['3 messages'] } });
    });
  });

  describe('auth, by the role of each method, before the handler runs', () => {
    it.each([
      ['DescribeModel (admin) without a token', 'DescribeModel', undefined, Status.UNAUTHENTICATED, 'token_missing'],
      ['DescribeModel (admin) with the infer token', 'DescribeModel', INFER, Status.PERMISSION_DENIED, 'token_rejected'],
      ['DescribeModel (admin) with a wrong token', 'DescribeModel', 'Bearer guess', Status.PERMISSION_DENIED, 'token_rejected'],
      ['ListModels (read) without a token', 'ListModels', undefined, Status.UNAUTHENTICATED, 'token_missing'],
    ] as const)('%s: refused', async (_name, method, token, code, reason) => {
      const out = await unary(adminDef, method, { name: 'm' }, token);
      expect(out).toMatchObject({ code, reason });
      expect(ran).toEqual([]);
    });

    it('lets a call through with a token its role takes', async () => {
      expect((await unary(adminDef, 'ListModels', {}, INFER)).code).toBe(Status.OK);
      expect((await unary(adminDef, 'ListModels', {}, ADMIN)).code).toBe(Status.OK);
      expect((await unary(adminDef, 'DescribeModel', { name: 'm' }, ADMIN)).code).toBe(Status.OK);
      expect(ran).toEqual(['ListModels', 'ListModels', 'DescribeModel']);
    });

    it('guards streams of every kind', async () => {
      expect(await serverStream('ProfileModel', { name: 'm' }, INFER)).toMatchObject({ code: Status.PERMISSION_DENIED, events: [] });
      // A model's bytes go to the admin token only.
      expect(await serverStream('ExportModel', { name: 'm' }, INFER)).toMatchObject({ code: Status.PERMISSION_DENIED, events: [] });
      expect(await serverStream('ExportModel', { name: 'm' }, undefined)).toMatchObject({ code: Status.UNAUTHENTICATED, events: [] });
      expect(await clientStream([{}], undefined)).toMatchObject({ code: Status.UNAUTHENTICATED });
      expect(await bidi(INFER)).toMatchObject({ code: Status.PERMISSION_DENIED });
      expect(await bidi(undefined)).toMatchObject({ code: Status.UNAUTHENTICATED });
      expect(ran).toEqual([]);
      expect((await bidi(ADMIN)).code).toBe(Status.OK);
      expect(ran).toEqual(['Connect']);
    });

    it('is not counted as not admitted', async () => {
      await unary(inferenceDef, 'Infer', { model: 'm' }, undefined);
      expect(notAdmitted).toEqual([]);
    });
  });

  describe('undecodable requests', () => {
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03]);

    it('are INVALID_ARGUMENT naming the method, before the handler (unary and server streaming)', async () => {
      const out = await unary(adminDef, 'DescribeModel', garbage, ADMIN);
      expect(out.code).toBe(Status.INVALID_ARGUMENT);
      expect(out.details).toMatch(/^the request to DescribeModel is not a valid protobuf message \(.*; 8 bytes\)$/);
      const streamed = await serverStream('ProfileModel', garbage, ADMIN);
      expect(streamed.code).toBe(Status.INVALID_ARGUMENT);
      expect(streamed.details).toMatch(/the request to ProfileModel is not a valid protobuf message/);
      expect(ran).toEqual([]);
      expect(notAdmitted).toEqual([]);
    });

    it('are refused for a missing token first', async () => {
      expect((await unary(adminDef, 'DescribeModel', garbage)).code).toBe(Status.UNAUTHENTICATED);
    });
  });

  describe('admitted methods (the inference path)', () => {
    it('count what the checks throw as not admitted, by status, and answer with it', async () => {
      check = () => {
        throw new PunctualError(Status.NOT_FOUND, 'model nope is not registered', 'not_found');
      };
      expect(await unary(inferenceDef, 'Infer', { model: 'nope' }, INFER)).toEqual({ code: Status.NOT_FOUND, details: 'model nope is not registered', reason: 'not_found' });
      check = () => {
        throw invalidArgument('slo_ms must be positive');
      };
      expect((await unary(inferenceDef, 'Infer', { model: 'm' }, INFER)).code).toBe(Status.INVALID_ARGUMENT);
      expect(notAdmitted).toEqual(['NOT_FOUND', 'INVALID_ARGUMENT']);
      expect(ran).toEqual(['check', 'check']);
    });

    it('count an unexpected error in the checks as INTERNAL, logged once', async () => {
      const unexpected = vi.spyOn(core, 'unexpected');
      check = () => {
        throw new TypeError('secret: cannot read properties of undefined');
      };
      const out = await unary(inferenceDef, 'Infer', { model: 'm' }, INFER);
      expect(out).toMatchObject({ code: Status.INTERNAL, details: 'internal error (see controller log)' });
      expect(notAdmitted).toEqual(['INTERNAL']);
      expect(unexpected).toHaveBeenCalledTimes(1);
      expect(unexpected.mock.calls[0]![0]).toBe('Infer');
    });

    it('do not count what fails after the checks (admission, the answer): the core counts those itself', async () => {
      run = () => Promise.reject(new PunctualError(Status.RESOURCE_EXHAUSTED, 'model m: cannot meet 5 ms', 'slo_unattainable'));
      expect(await unary(inferenceDef, 'Infer', { model: 'm' }, INFER)).toEqual({ code: Status.RESOURCE_EXHAUSTED, details: 'model m: cannot meet 5 ms', reason: 'slo_unattainable' });
      // Thrown at once (as ServingCore.submit throws a rejection) rather than rejected: the same.
      run = () => {
        throw new PunctualError(Status.UNAVAILABLE, 'controller is draining: not accepting new requests', 'draining');
      };
      expect(await unary(inferenceDef, 'Infer', { model: 'm' }, INFER)).toMatchObject({ code: Status.UNAVAILABLE, reason: 'draining' });
      expect(notAdmitted).toEqual([]);
      expect(ran).toEqual(['check', 'run', 'check', 'run']);
    });

    it('note the arrival stamped on the call before the checks, and hand it to them', async () => {
      const intake = vi.spyOn(core, 'noteIntake');
      let seen: number | undefined;
      check = (arrival) => {
        seen = arrival;
        expect(intake).toHaveBeenCalledWith(arrival);
        return {};
      };
      run = async () => ({ model: 'm', version: 1, outputs: [], batchSize: 1, worker: 'w', executor: 0 });
      expect(await unary(inferenceDef, 'Infer', { model: 'm' }, INFER, 400)).toMatchObject({ code: Status.OK, value: { model: 'm', worker: 'w' } });
      expect(seen).toBe(400);
    });
  });

  it('refuses, at setup, a handler for no method of the service or one without a role', () => {
    const deps = { auth: new Authorizer({}), core, clock };
    expect(() => serveService(workerDef, { ...workerImpl, Extra: () => undefined } as ServiceImpl<WorkerControlHandlers>, WORKER_ROLES, deps)).toThrow(/Extra: not a method of this service/);
    expect(() => serveService(workerDef, workerImpl, {} as typeof WORKER_ROLES, deps)).toThrow(/Connect: .*no role/);
  });
});
