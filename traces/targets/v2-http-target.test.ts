// The V2 HTTP target against a fake V2 server in this process (node:http on
// port 0): what goes on the wire (binary-data extension or JSON, the
// `timeout` parameter, the token), how answers and failures are counted by a
// whole replay, and clear errors for an unreachable server, an unknown model
// and malformed answers.
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualClientError } from '../../client/errors.js';
import { startFakeV2Http, type FakeV2Http } from '../../test/support/fake-v2-server.js';
import { runCliCaptured } from '../../test/support/run-cli.js';
import { prng } from '../random.js';
import { replay, type ReplaySummary } from '../replay.js';
import type { Workload } from '../workload.js';
import { openTarget } from './open-target.js';
import { TargetFailure } from './target.js';
import { parseTarget } from './target-url.js';
import { checkInferBody, V2HttpTarget } from './v2-http-target.js';
import { DEFAULT_V2_OPTIONS, type V2TargetOptions } from './v2-options.js';

const MODELS = [
  { name: 'det', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, 4, 4] }] },
  { name: 'two', inputs: [{ name: 'ids', datatype: 'INT64', shape: [-1, 5] }, { name: 'mask', datatype: 'BOOL', shape: [-1, 5] }] },
  { name: 'text', inputs: [{ name: 's', datatype: 'BYTES', shape: [-1, 1] }] },
  { name: 'ragged', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }] },
];

/** `n` arrivals of `model`, `gapMs` apart. */
function workload(n: number, gapMs: number, model = 'det'): Workload {
  return {
    config: { workload: 'test' },
    durationMs: n * gapMs,
    expected: n,
    models: [model],
    arrivals: () => Array.from({ length: n }, (_, i) => ({ time: i * gapMs, model })),
  };
}

let fake: FakeV2Http;
const dirs: string[] = [];
beforeAll(async () => {
  fake = await startFakeV2Http(MODELS);
});
afterAll(async () => {
  await fake.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function target(opts: Partial<V2TargetOptions> = {}, url = fake.url): V2HttpTarget {
  return new V2HttpTarget(parseTarget({ controller: '', target: url }), { ...DEFAULT_V2_OPTIONS, ...opts });
}

async function run(n: number, opts: Partial<V2TargetOptions> = {}, sloMs = 100, model = 'det'): Promise<ReplaySummary> {
  fake.seen.length = 0;
  const t = target(opts);
  try {
    return await replay({ target: t, workload: workload(n, 2, model), sloMs, graceMs: 2000 });
  } finally {
    await t.close();
  }
}

describe('V2 over HTTP', () => {
  it('binary-data extension: every request reaches the server with batch 1, the timeout in µs and the token; all counted', async () => {
    fake.answer = () => ({ type: 'ok' });
    const s = await run(60, { token: 'sekret' }, 80);
    expect(s.requests).toBe(60);
    expect(fake.seen.length).toBe(60);
    expect(s.ok).toBe(60);
    expect(s.errors + s.rejected + s.late).toBe(0);
    for (const r of fake.seen) {
      expect(r.encoding).toBe('binary');
      expect(r.binaryOutput).toBe(true);
      expect(r.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [1, 3, 4, 4], bytes: 192 }]);
      expect(r.timeoutUs).toBe(80_000);
      expect(r.authorization).toBe('Bearer sekret');
      expect(r.deadlineHeaderMs).toBe(2080); // the SLO plus the grace: how long the client waits
    }
    expect(s.config).toMatchObject({ protocol: 'v2', transport: 'http', encoding: 'binary', target: fake.url.replace(/\/$/, '') });
    expect(s.generator.transport_waiting_max).toBeGreaterThanOrEqual(0);
  });

  it('JSON tensors: data arrays of the shape’s length, JSON answers read back', async () => {
    fake.answer = () => ({ type: 'ok' });
    const s = await run(10, { encoding: 'json', sloAs: 'none' });
    expect(s.ok).toBe(10);
    expect(fake.seen.every((r) => r.encoding === 'json' && r.inputs[0]!.values === 48 && r.timeoutUs === undefined)).toBe(true);
  });

  it('INT64 and BOOL inputs, several per model', async () => {
    fake.answer = () => ({ type: 'ok' });
    for (const encoding of ['binary', 'json'] as const) {
      const s = await run(4, { encoding }, 100, 'two');
      expect(s.ok).toBe(4);
      expect(fake.seen[0]!.inputs.map((i) => [i.name, i.datatype, i.shape, i.bytes])).toEqual([
        ['ids', 'INT64', [1, 5], 40],
        ['mask', 'BOOL', [1, 5], 5],
      ]);
    }
  });

  it('counts rejections by reason: 429 (with the server’s reason) and Triton’s full queue', async () => {
    fake.answer = (n) =>
      n % 3 === 0
        ? { type: 'status', status: 429, body: JSON.stringify({ error: 'cannot finish within 100 ms' }), headers: { 'punctual-reason': 'slo_unattainable', 'retry-after': '1' } }
        : n % 3 === 1
          ? { type: 'status', status: 503, body: JSON.stringify({ error: 'Exceeds maximum queue size' }) }
          : { type: 'ok' };
    const s = await run(30);
    expect(s.requests).toBe(30);
    expect(s.rejected).toBe(20);
    expect(s.ok).toBe(10);
    expect(s.reasons.rejected).toEqual({ slo_unattainable: 10, queue_full: 10 });
    expect(s.accepted).toBe(10);
  });

  it('late and errors: 504, a 500, and the client’s own deadline', async () => {
    fake.answer = (n) => (n === 0 ? { type: 'status', status: 504, body: 'gateway timeout' } : n === 1 ? { type: 'status', status: 500, body: '{"error":"boom"}' } : { type: 'ok', delayMs: 400 });
    const s = await run(3, { sloAs: 'deadline' }, 50);
    expect(s).toMatchObject({ requests: 3, ok: 0, late: 2, errors: 1 });
    expect(s.reasons.late).toEqual({ deadline: 1, client_deadline: 1 });
    expect(fake.seen.every((r) => r.deadlineHeaderMs === 50 && r.timeoutUs === undefined)).toBe(true);
    expect(s.reasons.error).toEqual({ internal: 1 });
  });

  it('a malformed answer is an error of its own, never a crash', async () => {
    const bad: Buffer[] = [
      Buffer.from('not json'),
      Buffer.from(JSON.stringify({ outputs: [] })),
      Buffer.from(JSON.stringify({ outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2], data: [1] }] })),
      Buffer.from(JSON.stringify({ outputs: [{ name: 'y', datatype: 'FP32', shape: [1, -2], data: [] }] })),
    ];
    fake.answer = (n) => ({ type: 'raw', headers: { 'content-type': 'application/json' }, body: bad[n % bad.length]! });
    const s = await run(4);
    expect(s).toMatchObject({ requests: 4, ok: 0, errors: 4 });
    expect(s.reasons.error).toEqual({ malformed_response: 4 });
  });

  it('a server that sends headers and then stalls, or closes mid-body, cannot wedge a run', async () => {
    let n = 0;
    const hostile = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ name: 'det', inputs: MODELS[0]!.inputs, outputs: [] }));
          return;
        }
        const i = n++;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'inference-header-content-length': '10' });
        res.write('{"outp');
        if (i % 2 === 1) res.destroy(); // closes mid-body; the even ones stall for good
      });
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    const t = target({ sloAs: 'deadline' }, `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`);
    try {
      const s = await replay({ target: t, workload: workload(4, 5), sloMs: 100 });
      expect(s).toMatchObject({ requests: 4, ok: 0, late: 2, errors: 2 });
      expect(s.reasons).toEqual({ rejected: {}, late: { client_deadline: 2 }, error: { connection: 2 } });
    } finally {
      await t.close();
      hostile.closeAllConnections();
      hostile.close();
    }
  });

  it('checkInferBody: the binary header and the outputs must add up', () => {
    const head = (o: unknown): Buffer => Buffer.from(JSON.stringify({ outputs: o }));
    const y = (size: number): unknown[] => [{ name: 'y', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: size } }];
    const h = head(y(8));
    expect(checkInferBody(Buffer.concat([h, Buffer.alloc(8)]), String(h.byteLength))).toBeUndefined();
    expect(checkInferBody(Buffer.concat([h, Buffer.alloc(4)]), String(h.byteLength))).toMatch(/runs past the end/);
    expect(checkInferBody(Buffer.concat([h, Buffer.alloc(12)]), String(h.byteLength))).toMatch(/4 bytes after/);
    const h6 = head(y(6));
    expect(checkInferBody(Buffer.concat([h6, Buffer.alloc(6)]), String(h6.byteLength))).toMatch(/needs 8 bytes/);
    expect(checkInferBody(h, '99999')).toMatch(/does not fit/);
    expect(checkInferBody(h, 'abc')).toMatch(/does not fit/);
    expect(checkInferBody(head([{ name: 'y', datatype: 'FP32', shape: [1, 2] }]), undefined)).toMatch(/neither data nor/);
    expect(checkInferBody(Buffer.from('{"outputs":[{"name":"s","datatype":"BYTES","shape":[1],"data":["a"]}]}'), undefined)).toBeUndefined();
  });

  it('lists models through the repository index, or says to name them', async () => {
    const t = target();
    try {
      expect(await t.models()).toEqual(['det', 'two', 'text', 'ragged']);
      fake.index = false;
      await expect(t.models()).rejects.toThrow(/does not list its models.*--models/);
    } finally {
      fake.index = true;
      await t.close();
    }
  });

  it('a model the server lacks, and inputs replay cannot make, are clear errors', async () => {
    const t = target();
    try {
      const missing = t.prepare('nope', prng(1));
      await expect(missing).rejects.toBeInstanceOf(PunctualClientError);
      await expect(missing).rejects.toThrow(/model nope: the V2 server at http:\/\/127\.0\.0\.1:\d+ has no such model/);
      await expect(t.prepare('text', prng(1))).rejects.toThrow(/datatype "BYTES"/);
      await expect(t.prepare('ragged', prng(1))).rejects.toThrow(/variable dimensions \[-1, -1\]/);
    } finally {
      await t.close();
    }
  });

  it('an unreachable server is UNAVAILABLE with its address', async () => {
    const closed = await startFakeV2Http(MODELS);
    await closed.close();
    const t = target({}, closed.url);
    try {
      const p = t.prepare('det', prng(1));
      await expect(p).rejects.toMatchObject({ statusName: 'UNAVAILABLE' });
      await expect(p).rejects.toThrow(`cannot reach a V2 HTTP server at ${closed.url}`);
    } finally {
      await t.close();
    }
  });

  it('requests that lose the connection mid-run are errors, each counted once', async () => {
    const other = await startFakeV2Http(MODELS);
    const t = openTarget(parseTarget({ controller: '', target: other.url }));
    try {
      const m = await t.prepare('det', prng(1));
      await other.close();
      const f = await m.infer(0, 100, 1000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(f).toBeInstanceOf(TargetFailure);
      expect((f as TargetFailure).failure).toMatchObject({ status: 'error', reason: 'connection' });
    } finally {
      await t.close();
    }
  });

  it('punctual replay --target http://… through the CLI writes its three files', async () => {
    fake.answer = (n) => (n % 4 === 0 ? { type: 'status', status: 429, body: '{"error":"no"}' } : { type: 'ok' });
    fake.seen.length = 0;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-v2-replay-'));
    dirs.push(out);
    const r = await runCliCaptured(['--json', 'replay', '--target', fake.url, '--workload', 'constant', '--rate', '40', '--duration', '1', '--models', 'det', '--slo-ms', '50', '--out', out]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const s = JSON.parse(r.stdout) as ReplaySummary;
    expect(s.requests).toBe(fake.seen.length);
    expect(s.rejected).toBe(fake.seen.filter((_, i) => i % 4 === 0).length);
    expect(s.reasons.rejected).toEqual({ too_many_requests: s.rejected });
    const lines = fs.readFileSync(path.join(out, 'requests.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(s.requests);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'))).toEqual(s);
    expect(fs.readFileSync(path.join(out, 'report.svg'), 'utf8')).toContain('V2 against http://127.0.0.1');
    // Human output names the reasons.
    fake.seen.length = 0;
    const h = await runCliCaptured(['replay', '--target', fake.url, '--workload', 'constant', '--rate', '40', '--duration', '0.5', '--models', 'det']);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toContain(`replayed against ${fake.url} (V2)`);
    expect(h.stdout).toMatch(/rejected by reason: too_many_requests \d+/);
    expect(h.stdout).toMatch(/requests waited for a connection/);
  });

  it('replays a trace file as it replays a synthetic workload', async () => {
    fake.answer = () => ({ type: 'ok' });
    fake.seen.length = 0;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-v2-trace-'));
    dirs.push(dir);
    const trace = path.join(dir, 'trace.csv');
    const g = await runCliCaptured(['trace', 'generate', '--functions', '4', '--minutes', '2', '--total-per-minute', '40', '--seed', '3', '--out', trace]);
    expect(g.code, g.stderr).toBe(0);
    const r = await runCliCaptured(['--json', 'replay', trace, '--minute-seconds', '0.5', '--target', fake.url, '--models', 'det,two']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const s = JSON.parse(r.stdout) as ReplaySummary;
    expect(s.requests).toBe(fake.seen.length);
    expect(s.requests).toBeGreaterThan(20);
    expect(s.ok).toBe(s.requests);
    expect(s.models).toEqual(['det', 'two']); // the trace's functions map onto both
    expect(new Set(fake.seen.map((x) => x.model))).toEqual(new Set(['det', 'two']));
    expect(s.config).toMatchObject({ trace, minute_seconds: 0.5, protocol: 'v2' });
  });

  it('the CLI refuses contradictory flags and names an unknown model clearly', async () => {
    const a = await runCliCaptured(['replay', '--target', fake.url, '--protocol', 'punctual', '--workload', 'constant']);
    expect(a.code).toBe(2);
    const b = await runCliCaptured(['--json', 'replay', '--target', fake.url, '--workload', 'constant', '--duration', '0.2', '--models', 'nope']);
    expect(b.code).toBe(1);
    expect(JSON.parse(b.stdout)).toMatchObject({ status: 'NOT_FOUND' });
    expect(b.stdout).toContain('has no such model');
    const c = await runCliCaptured(['--json', 'replay', '--target', 'grpc://127.0.0.1:1', '--encoding', 'json', '--workload', 'constant']);
    expect(c.code).not.toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringContaining('--encoding json is for V2 over HTTP') });
    expect(JSON.parse(a.stdout === '' ? '{}' : a.stdout)).toEqual({});
    expect(a.stderr).toContain('gRPC only');
  });
});
