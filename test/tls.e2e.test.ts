// TLS on a real controller (--tls-cert/--tls-key) with a throwaway
// self-signed certificate for 127.0.0.1/localhost, made in the test: a real
// worker joins over TLS with --tls-ca and runs real onnxruntime inference;
// clients with the CA (library, and the CLI via PUNCTUAL_TLS_CA) succeed; a
// plaintext client and a TLS client without the CA are refused (UNAVAILABLE).
// Metrics: the controller's /metrics use its certificate by default; a
// worker given --metrics-tls-cert/--metrics-tls-key serves HTTPS too; plain
// HTTP to either fails. V2 REST on the HTTP port uses the listener's certificate.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualAdmin, PunctualClient } from '../client/index.js';
import type { CliIo } from '../cli/context.js';
import { runCli } from '../cli/program.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';
import { httpGet } from './support/http-get.js';
import { healthClient, healthOf } from './support/oip-client.js';
import { statusOf } from './support/outcome.js';
import { selfSignedCertificate } from './support/self-signed.js';

describe('TLS', () => {
  let cluster: TestCluster;
  let dir: string;
  let caFile: string;
  const closers: { close(): void }[] = [];
  const input = { x: randomFloat32([...SHAPES.cls]) };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-tls-'));
    const { cert, key } = selfSignedCertificate(['localhost', '127.0.0.1']);
    caFile = path.join(dir, 'ca.pem');
    fs.writeFileSync(caFile, cert);
    fs.writeFileSync(path.join(dir, 'key.pem'), key, { mode: 0o600 });
    cluster = await TestCluster.withDefaultRepo(['cls']);
    cluster.tlsCa = caFile;
    await cluster.startController(['--tls-cert', caFile, '--tls-key', path.join(dir, 'key.pem'), '--health-port', '0']);
    cluster.startWorker({ extra: ['--metrics-tls-cert', caFile, '--metrics-tls-key', path.join(dir, 'key.pem')] });
    await cluster.waitForWorkers(1);
  });
  afterAll(async () => {
    for (const c of closers) c.close();
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves inference over TLS to a client with the CA, from a worker that joined over TLS', async () => {
    const r = await cluster.client.infer('cls', input, { sloMs: 5000 });
    expect(r.model).toBe('cls');
    expect(Object.keys(r.outputs).length).toBeGreaterThan(0);
    const st = await cluster.client.clusterStatus();
    expect(st.workers).toHaveLength(1);
  });

  it('answers grpc.health.v1 in plaintext on --health-port (what a kubelet probe can reach), and only there', async () => {
    expect(cluster.healthPort).toBeGreaterThan(0);
    const plainHealth = healthClient(`127.0.0.1:${cluster.healthPort}`);
    closers.push(plainHealth);
    expect(await healthOf(plainHealth)).toBe('SERVING');
    expect(await healthOf(plainHealth, 'inference.GRPCInferenceService')).toBe('SERVING');
    // The same probe against the TLS listener fails: it cannot speak TLS.
    const onTls = healthClient(cluster.address);
    closers.push(onTls);
    await expect(healthOf(onTls)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('refuses a plaintext client', async () => {
    const plain = new PunctualClient(cluster.address, { defaultDeadlineMs: 3000 });
    closers.push(plain);
    expect(await statusOf(plain.infer('cls', input, { sloMs: 2000 }))).toBe('UNAVAILABLE');
    const plainAdmin = new PunctualAdmin(cluster.address);
    closers.push(plainAdmin);
    expect(await statusOf(plainAdmin.listModels())).toBe('UNAVAILABLE');
  });

  it('refuses a TLS client that does not trust the CA', async () => {
    const untrusting = new PunctualClient(cluster.address, { credentials: grpc.credentials.createSsl(), defaultDeadlineMs: 3000 });
    closers.push(untrusting);
    expect(await statusOf(untrusting.infer('cls', input, { sloMs: 2000 }))).toBe('UNAVAILABLE');
    // A different self-signed CA for the same names is not the controller's either.
    const other = selfSignedCertificate(['localhost', '127.0.0.1']);
    const wrongCa = new PunctualClient(cluster.address, { credentials: grpc.credentials.createSsl(Buffer.from(other.cert)), defaultDeadlineMs: 3000 });
    closers.push(wrongCa);
    expect(await statusOf(wrongCa.infer('cls', input, { sloMs: 2000 }))).toBe('UNAVAILABLE');
  });

  it("serves the controller's metrics over HTTPS with its certificate, and a worker's with the one it was given", async () => {
    const ca = fs.readFileSync(caFile);
    const worker = await cluster.workerPorts.get(cluster.workers[0]!)!;
    for (const port of [cluster.metricsPort, worker.metricsPort]) {
      const ok = await httpGet(`https://127.0.0.1:${port}/metrics`, { ca });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('process_cpu_user_seconds_total');
      expect((await httpGet(`https://localhost:${port}/healthz`, { ca })).status).toBe(200);
      await expect(httpGet(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow(/socket hang up|ECONNRESET/);
      await expect(httpGet(`https://127.0.0.1:${port}/metrics`)).rejects.toThrow(/certificate/);
    }
  });

  it('serves V2 REST over HTTPS with the same certificate (--tls-cert), and not over plain HTTP', async () => {
    const ca = fs.readFileSync(caFile);
    const url = `https://127.0.0.1:${cluster.httpPort}`;
    expect((await httpGet(`${url}/v2/health/ready`, { ca })).status).toBe(200);
    const meta = await httpGet(`${url}/v2/models/cls`, { ca });
    expect(meta.status).toBe(200);
    expect(JSON.parse(meta.body)).toMatchObject({ name: 'cls', inputs: [{ name: 'x', datatype: 'FP32' }] });
    await expect(httpGet(`http://127.0.0.1:${cluster.httpPort}/v2/health/ready`)).rejects.toThrow(/socket hang up|ECONNRESET/);
    await expect(httpGet(`${url}/v2/health/ready`)).rejects.toThrow(/certificate/);
  });

  it('lets the CLI reach it with PUNCTUAL_TLS_CA, and fails without it', async () => {
    const run = async (env: Record<string, string>): Promise<{ code: number; stdout: string }> => {
      let stdout = '';
      const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, env, cwd: dir };
      const code = await runCli(['--controller', cluster.address, '--json', 'models', 'list'], io);
      return { code, stdout };
    };
    const ok = await run({ PUNCTUAL_TLS_CA: caFile });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('"cls"');
    const refused = await run({});
    expect(refused.code).not.toBe(0);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: 'UNAVAILABLE' });
  });

  it('takes the data plane over TLS to a worker whose data port has it, and Infer while a worker has one without it', async () => {
    const key = path.join(dir, 'key.pem');
    const first = cluster.workers[0]!;
    const clear = cluster.startWorker({ extra: ['--data-port', '0'] });
    await cluster.waitForWorkers(2);
    first.kill('SIGTERM');
    await cluster.waitForWorkers(1);
    const tlsOptions = { credentials: grpc.credentials.createSsl(fs.readFileSync(caFile)), dataPlane: true, dataPlaneTls: { ca: fs.readFileSync(caFile) } };
    // A data port without TLS behind a TLS controller: never told to the client; answered through Infer.
    const viaInfer = new PunctualClient(cluster.address, tlsOptions);
    closers.push(viaInfer);
    const a = await viaInfer.infer('cls', input, { sloMs: 5000 });
    expect(a.dataPlane).toBe(false);
    cluster.startWorker({ extra: ['--data-port', '0', '--data-tls-cert', caFile, '--data-tls-key', key] });
    await cluster.waitForWorkers(2);
    clear.kill('SIGTERM');
    await cluster.waitForWorkers(1);
    const staged = new PunctualClient(cluster.address, tlsOptions);
    closers.push(staged);
    const b = await staged.infer('cls', input, { sloMs: 5000 });
    expect(b.dataPlane).toBe(true);
    expect([...(b.outputs['softmax_0.tmp_0']!.data as Float32Array)]).toEqual([...(a.outputs['softmax_0.tmp_0']!.data as Float32Array)]);
  });
});
