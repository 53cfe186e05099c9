// The data plane in the serving core (issue 13 point 3): a staged request is
// scheduled as any other; its batch's action names it by ticket (its client
// told where to send, at dispatch) and carries only the other rows' inputs;
// its answer has no outputs (they went to the client from the worker), and a
// row the worker reports missing fails with not_staged_in_time.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { createLogger } from '../common/log.js';
import type { Action, ActionResult__Output, ControllerMessage } from '../common/wire.js';
import { ModelRegistry } from './model-registry.js';
import type { StageAt, StagedInput } from './request-book.js';
import { Estimates } from './scheduler/estimates.js';
import { ServingCore } from './serving-core.js';
import type { WorkerConnection } from './worker-connection.js';

function fakeWorker(id: string, dataAddress: string, dataTls = false): { conn: WorkerConnection; actions: Action[]; sent: ControllerMessage[] } {
  const actions: Action[] = [];
  const sent: ControllerMessage[] = [];
  const conn = {
    id,
    name: id,
    closed: false,
    draining: false,
    dataAddress,
    dataTls,
    adopted: [],
    executors: [{ index: 0, device: 'cpu', threads: 1, memoryBytes: 1e9 }],
    send: (msg: ControllerMessage) => {
      sent.push(msg);
      if (msg.action) actions.push(msg.action);
    },
    toWorker: (t: number) => t,
    toController: (t: number) => t,
    close: () => undefined,
  } as unknown as WorkerConnection;
  return { conn, actions, sent };
}

function setup(dataAddress = '127.0.0.1:9999', dataPlaneTls = false) {
  const clock = new ManualClock(1000);
  const registry = new ModelRegistry();
  const model = registry.add({
    key: 'm@1',
    config: { name: 'm', version: 1, inputs: [{ name: 'x', dtype: 'float32', shape: [2] }], outputs: [{ name: 'y', dtype: 'float32', shape: [2] }], maxBatch: 2, batchSizes: [1, 2], defaultSloMs: 5000 },
    dir: '',
    file: '',
    size: 0,
    sha256: '',
  });
  const estimates = new Estimates({ unknownExecMs: 10, unknownLoadMs: 50, clock });
  const core = new ServingCore({ clock, registry, estimates, log: createLogger('test', 'silent'), dataPlaneTls });
  core.addModel(model);
  const { conn, actions, sent } = fakeWorker('w1', dataAddress);
  const result = (a: Action, r: Partial<ActionResult__Output>): ActionResult__Output =>
    ({ actionId: Number(a.id), status: 'OK', message: '', receivedMs: 0, startMs: clock.now(), endMs: clock.now() + 5, durationMs: 5, memoryBytes: 1000, outputs: [], missingRows: [], ...r }) as ActionResult__Output;
  return { clock, core, model, conn, actions, sent, result };
}

const x = (v: number) => [{ name: 'x', dtype: 'float32', shape: [1, 2], data: new Uint8Array(new Float32Array([v, v]).buffer) }];

describe('staged requests (the data plane)', () => {
  it('batches a staged request with an inline one: the action names its row by ticket, its client is told where, and each is answered', async () => {
    const { clock, core, model, conn, actions, result } = setup();
    core.addWorker(conn); // its LOAD goes out; requests queue behind it
    const stages: StageAt[] = [];
    const staged = core.submitStaged(model, { stage: (at) => stages.push(at) }, 5000, clock.now());
    const inline = core.submit(model, x(7), 5000, clock.now());
    expect(stages).toHaveLength(0); // not dispatched yet
    const load = actions.find((a) => a.type === 'LOAD')!;
    clock.advance(50);
    core.onResult(conn, result(load, { durationMs: 50 }));
    const infer = actions.find((a) => a.type === 'INFER')!;
    expect(infer.batchSize).toBe(2);
    expect(infer.staged).toHaveLength(1);
    const row = infer.staged![0]!.row!;
    expect(infer.staged![0]!.ticket).toMatch(/^[0-9a-f]{32}$/);
    expect(infer.inputs).toHaveLength(1);
    expect(infer.inputs![0]!.shape).toEqual([1, 2]); // the inline row only
    expect(infer.inputSpecs).toEqual([{ name: 'x', dtype: 'float32', shape: [2] }]);
    expect(stages).toEqual([{ ticket: infer.staged![0]!.ticket, dataAddress: '127.0.0.1:9999', windowMs: expect.any(Number), tls: false }]);
    expect(stages[0]!.windowMs).toBeGreaterThan(0);
    // The worker sends the inline row's outputs only.
    clock.advance(10);
    core.onResult(conn, result(infer, { outputs: [{ name: 'y', dtype: 'float32', shape: [1, 2], data: Buffer.from(new Float32Array([14, 14]).buffer) }] }));
    const a = await inline;
    expect([...new Float32Array(new Uint8Array(a.outputs[0]!.data as Uint8Array).buffer)]).toEqual([14, 14]);
    const s = await staged;
    expect(s.outputs).toEqual([]);
    expect(s.batchSize).toBe(2);
    expect(s.worker).toBe('w1');
    expect(row === 0 || row === 1).toBe(true);
    core.close();
  });

  it('fails a staged row the worker reports missing with DEADLINE_EXCEEDED (not_staged_in_time)', async () => {
    const { clock, core, model, conn, actions, result } = setup();
    core.addWorker(conn);
    core.onResult(conn, result(actions.find((a) => a.type === 'LOAD')!, {}));
    const staged = core.submitStaged(model, { stage: () => undefined }, 5000, clock.now());
    const infer = actions.find((a) => a.type === 'INFER')!;
    expect(infer.inputs).toEqual([]);
    core.onResult(conn, result(infer, { missingRows: [0] }));
    await expect(staged).rejects.toMatchObject({ code: 4, reason: 'not_staged_in_time', message: expect.stringMatching(/did not reach worker w1 while its batch waited for them/) });
    core.close();
  });

  it('names the worker again when a dispatch is lost: a new ticket, told to the client again', async () => {
    const { clock, core, model, conn, actions, result } = setup();
    core.addWorker(conn);
    core.onResult(conn, result(actions.find((a) => a.type === 'LOAD')!, {}));
    const stages: StageAt[] = [];
    const staged = core.submitStaged(model, { stage: (at) => stages.push(at) }, 5000, clock.now());
    const first = actions.find((a) => a.type === 'INFER')!;
    core.onResult(conn, result(first, { status: 'FAILED', message: 'the thread died' }));
    // Failed once: retried (the model is loaded again first).
    const load2 = actions.filter((a) => a.type === 'LOAD')[1];
    if (load2) core.onResult(conn, result(load2, {}));
    const second = actions.filter((a) => a.type === 'INFER')[1]!;
    expect(stages).toHaveLength(2);
    expect(stages[1]!.ticket).not.toBe(stages[0]!.ticket);
    expect(second.staged![0]!.ticket).toBe(stages[1]!.ticket);
    core.onResult(conn, result(second, {}));
    expect((await staged).outputs).toEqual([]);
    core.close();
  });

  it('a staged request whose client left before its dispatch gets no ticket: the worker does not wait for it', async () => {
    const { clock, core, model, conn, actions, result } = setup();
    core.addWorker(conn);
    const stages: StageAt[] = [];
    const staged = { stage: (at: StageAt) => void stages.push(at), cancelled: false };
    const answer = core.submitStaged(model, staged, 5000, clock.now());
    staged.cancelled = true; // the Admit call was cancelled while the model was loading
    core.onResult(conn, result(actions.find((a) => a.type === 'LOAD')!, {}));
    const infer = actions.find((a) => a.type === 'INFER')!;
    expect(infer.staged).toEqual([{ row: 0, ticket: '' }]);
    expect(stages).toEqual([]);
    core.onResult(conn, result(infer, { missingRows: [0] }));
    await expect(answer).rejects.toMatchObject({ reason: 'not_staged_in_time' });
    core.close();
  });

  it('a staged request whose client leaves after its dispatch: its worker is told the ticket (Unstage), so the batch need not wait', async () => {
    const { clock, core, model, conn, actions, sent, result } = setup();
    core.addWorker(conn);
    const stages: StageAt[] = [];
    const staged: StagedInput = { stage: (at) => void stages.push(at) };
    const answer = core.submitStaged(model, staged, 5000, clock.now());
    core.onResult(conn, result(actions.find((a) => a.type === 'LOAD')!, {}));
    const ticket = actions.find((a) => a.type === 'INFER')!.staged![0]!.ticket;
    expect(stages.map((s) => s.ticket)).toEqual([ticket]);
    expect(sent.some((m) => m.unstage)).toBe(false);
    staged.withdraw!(); // what the Admit call's 'cancelled' does
    expect(sent.filter((m) => m.unstage)).toEqual([{ unstage: { ticket } }]);
    core.onResult(conn, result(actions.find((a) => a.type === 'INFER')!, { missingRows: [0] }));
    await expect(answer).rejects.toMatchObject({ reason: 'not_staged_in_time' });
    core.close();
  });

  it('says why the data plane is off while a worker has no data port', () => {
    const { core } = setup('');
    expect(core.dataPlaneRefusal()).toBeUndefined(); // no worker: submit says so
    const { conn } = fakeWorker('w1', '');
    core.addWorker(conn);
    expect(core.dataPlaneRefusal()).toMatch(/worker w1 has no data port \(punctual worker --data-port\)/);
    const { conn: other } = fakeWorker('w2', '127.0.0.1:1');
    core.addWorker(other);
    core.removeWorker(conn);
    expect(core.dataPlaneRefusal()).toBeUndefined();
    core.close();
  });

  it('on a controller with TLS, goes only to workers whose data port has TLS too, and says which lack it', async () => {
    const { core, clock, model, actions } = setup('', true);
    const { conn: plain } = fakeWorker('w1', '127.0.0.1:1');
    core.addWorker(plain);
    expect(core.dataPlaneRefusal()).toMatch(/this controller uses TLS and worker w1 has a data port without it \(punctual worker --data-tls-cert, --data-tls-key\)/);
    const { conn: secure, actions: secureActions } = fakeWorker('w2', '127.0.0.1:2', true);
    core.addWorker(secure);
    core.removeWorker(plain);
    expect(core.dataPlaneRefusal()).toBeUndefined();
    // Its StageAt tells the client to connect with TLS.
    const stages: StageAt[] = [];
    void core.submitStaged(model, { stage: (at) => void stages.push(at) }, 5000, clock.now()).catch(() => undefined);
    core.onResult(secure, { actionId: Number(secureActions.find((a) => a.type === 'LOAD')!.id), status: 'OK', message: '', receivedMs: 0, startMs: 0, endMs: 1, durationMs: 1, memoryBytes: 1, outputs: [], missingRows: [] } as ActionResult__Output);
    expect(stages).toEqual([{ ticket: expect.stringMatching(/^[0-9a-f]{32}$/), dataAddress: '127.0.0.1:2', windowMs: expect.any(Number), tls: true }]);
    expect(actions).toEqual([]);
    core.close();
  });
});
