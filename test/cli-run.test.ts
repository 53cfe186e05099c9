// The CLI driven in-process (runCli) against a fake controller: exit codes,
// usage errors, and what `infer` and `status` print in both forms.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PunctualError, Status } from '../common/errors.js';
import { runCliCaptured } from './support/run-cli.js';
import { echo, startFakeBackend, type FakeBackend } from './support/fake-backend.js';

const cli = runCliCaptured;

let backend: FakeBackend;

beforeAll(async () => {
  backend = await startFakeBackend();
});
afterEach(() => {
  backend.infers.length = 0;
  backend.onInfer = echo;
});
afterAll(async () => {
  await backend.close();
});

describe('usage errors exit 2 with a clear message', () => {
  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['status', '--bogus'], /unknown option '--bogus'/],
    [['infer'], /missing required argument 'model'/],
    [['worker', '--memory', '2G'], /--memory.*say 2GiB or 2GB/],
    [['worker', '--device', 'gpu'], /cpu, cuda:N or emulated/],
    [['worker', '--lanes', '9'], /--lanes.*"9" must be an integer from 1 to 8/],
    [['up', '--lanes', 'two'], /--lanes.*"two" must be an integer from 1 to 8/],
    [['infer', 'det', '--batch', '0'], /--batch.*integer from 1/],
    [['infer', 'det', '--slo-ms', 'soon'], /positive number of milliseconds/],
    [['--controller', 'nohost', 'status'], /HOST:PORT/],
    [['controller', '--port', '7000'], /--repo/],
    [['controller', '--repo', 'x', '--max-reserve-share', '1.5'], /--max-reserve-share must be a fraction in \[0, 1\), got 1\.5/],
    [[], /Usage: punctual/],
  ])('%j', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('with --json, a usage error is also a JSON status on stdout', async () => {
    const r = await cli(['--json', 'bogus']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ status: 'INVALID_ARGUMENT', message: "unknown command 'bogus'" });
  });

  it('--help exits 0', async () => {
    const r = await cli(['infer', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--slo-ms');
  });
});

describe('punctual infer', () => {
  it('sends the declared shape and dtype with the SLO, prints an OK JSON report', async () => {
    const r = await cli(['infer', 'tok', '--controller', backend.address, '--json', '--slo-ms', '40']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ status: 'OK', model: 'tok', version: 1, slo_ms: 40, batch_size: 1 });
    expect(typeof report.latency_ms).toBe('number');
    expect(report.outputs).toMatchObject({ ids_out: { dtype: 'int64', shape: [1, 5], elements: 5 }, mask_out: { dtype: 'bool' } });
    const sent = backend.infers[0]!.request;
    expect(sent.sloMs).toBe(40);
    expect(sent.inputs.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['ids', 'int64', [1, 5]],
      ['mask', 'bool', [1, 5]],
    ]);
    expect(backend.infers[0]!.deadline).not.toBe(Infinity);
  });

  it("uses the newest version and the model's default SLO unless told otherwise", async () => {
    const r = await cli(['infer', 'img', '--controller', backend.address, '--json']);
    expect(r.code).toBe(0);
    expect(backend.infers[0]!.request.version).toBe(2);
    expect(backend.infers[0]!.request.sloMs).toBe(100);
    expect(backend.infers[0]!.request.inputs[0]!.shape).toEqual([1, 3, 8, 8]);
    await cli(['infer', 'img', '--controller', backend.address, '--json', '--version', '1']);
    expect(backend.infers[1]!.request.inputs[0]!.shape).toEqual([1, 3, 4, 4]);
  });

  it('--batch B sends B requests at once and lists each', async () => {
    const r = await cli(['infer', 'img', '--controller', backend.address, '--json', '--batch', '3']);
    expect(r.code).toBe(0);
    expect(backend.infers).toHaveLength(3);
    const report = JSON.parse(r.stdout) as { status: string; requests: { status: string; batch_size: number }[] };
    expect(report.status).toBe('OK');
    expect(report.requests.map((q) => [q.status, q.batch_size])).toEqual([
      ['OK', 1],
      ['OK', 1],
      ['OK', 1],
    ]);
  });

  it('a rejected request prints its status name and reason and exits 1', async () => {
    backend.onInfer = () => {
      throw new PunctualError(Status.RESOURCE_EXHAUSTED, 'slo_unattainable: predicted 41.2 ms > slo 30 ms', 'slo_unattainable');
    };
    const r = await cli(['infer', 'img', '--controller', backend.address, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'RESOURCE_EXHAUSTED', message: 'slo_unattainable: predicted 41.2 ms > slo 30 ms', reason: 'slo_unattainable' });
    const human = await cli(['infer', 'img', '--controller', backend.address]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('RESOURCE_EXHAUSTED');
  });

  it('with --batch, one failure makes the status that failure and the exit code 1', async () => {
    let n = 0;
    backend.onInfer = (req, call) => {
      if (++n === 2) throw new PunctualError(Status.UNAVAILABLE, 'no executor', 'no_capacity');
      return echo(req, call);
    };
    const r = await cli(['infer', 'img', '--controller', backend.address, '--json', '--batch', '3']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { status: string; requests: { status: string }[] };
    expect(report.status).toBe('UNAVAILABLE');
    expect(report.requests.map((q) => q.status).sort()).toEqual(['OK', 'OK', 'UNAVAILABLE']);
  });

  it('an unknown model is NOT_FOUND, naming the registered ones', async () => {
    const r = await cli(['infer', 'ghost', '--controller', backend.address, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { status: string; message: string };
    expect(report.status).toBe('NOT_FOUND');
    expect(report.message).toContain('registered: img, tok');
    expect(backend.infers).toHaveLength(0);
  });

  it('an unreachable controller is UNAVAILABLE with its address, in both forms', async () => {
    const dead = await startFakeBackend();
    await dead.close();
    const json = await cli(['infer', 'img', '--controller', dead.address, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { status: string; message: string };
    expect(report.status).toBe('UNAVAILABLE');
    expect(report.message).toContain(dead.address);
    const human = await cli(['status', '--controller', dead.address]);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(new RegExp(`error: UNAVAILABLE: .*${dead.address.replace(/\./g, '\\.')}`));
  });

  it('takes the controller and token from the environment', async () => {
    const r = await cli(['infer', 'tok', '--json'], { PUNCTUAL_CONTROLLER: backend.address, PUNCTUAL_TOKEN: 'tkn' });
    expect(r.code).toBe(0);
    expect(backend.infers[0]!.metadata.get('authorization')).toEqual(['Bearer tkn']);
  });
});

describe('punctual status', () => {
  it('--json prints the ClusterStatus response', async () => {
    backend.status = {
      workers: [{ id: 'w', name: 'local-1', executors: [{ index: 0, device: 'cpu', threads: 1, memoryBudgetBytes: 2 ** 31 }] }],
      uptimeS: 3,
      policy: 'punctual',
    };
    const r = await cli(['status', '--controller', backend.address, '--json']);
    expect(r.code).toBe(0);
    const st = JSON.parse(r.stdout) as { workers: { name: string; executors: { memoryBudgetBytes: number }[] }[]; models: { name: string }[] };
    expect(st.workers[0]?.name).toBe('local-1');
    expect(st.workers[0]?.executors[0]?.memoryBudgetBytes).toBe(2 ** 31);
    expect(st.models.map((m) => m.name)).toEqual(['img', 'img', 'tok']);
  });

  it('prints a readable table by default', async () => {
    const r = await cli(['status', '--controller', backend.address]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('workers (1)');
    expect(r.stdout).toMatch(/local-1\s+0\s+cpu/);
    expect(r.stdout).toMatch(/tok\s+1\s+ids int64\[5\], mask bool\[5\]/);
  });
});
