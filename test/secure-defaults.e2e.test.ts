// Secure by default, against real processes: a controller on a non-loopback
// address without an admin token refuses to start (exit 2, saying why and
// the three ways out) unless told --insecure; metrics and the worker's health
// port listen on loopback unless told otherwise, and say where they listen.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopChild, waitForListeningPort } from '../cli/child-process.js';
import { SERVER_NODE_FLAGS } from '../common/node-flags.js';
import { CLI, TestCluster } from './support/cluster.js';
import { httpGet, nonLoopbackIPv4 } from './support/http-get.js';

const ADMIN = 'admin-secret-31c5';

/** The environment without any token a developer's shell may carry. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PUNCTUAL_LOG_LEVEL: 'warn' };
  for (const k of ['PUNCTUAL_ADMIN_TOKEN', 'PUNCTUAL_INFER_TOKEN', 'PUNCTUAL_WORKER_TOKEN', 'PUNCTUAL_TOKEN', 'PUNCTUAL_METRICS_TOKEN']) delete env[k];
  return env;
}

/** Resolves true when a TCP connection to host:port opens, false when it is refused. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 3000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

describe('protected mode', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-protected-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const controller = (args: string[]) => {
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, CLI, 'controller', '--port', '0', '--metrics-port', '0', '--http-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return { child, stderr: () => stderr };
  };

  it('refuses 0.0.0.0 without an admin token: exit 2, the address, why, and the three ways out; the repository is not touched', async () => {
    const repo = path.join(root, 'refused');
    const { child, stderr } = controller(['--host', '0.0.0.0', '--repo', repo]);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    const text = stderr();
    expect(text).toContain('refusing to listen on 0.0.0.0 without an admin token');
    expect(text).toMatch(/register and remove models/);
    expect(text).toMatch(/join as a worker/);
    expect(text).toContain('--admin-token');
    expect(text).toContain('PUNCTUAL_ADMIN_TOKEN');
    expect(text).toContain('--host 127.0.0.1');
    expect(text).toContain('--insecure');
    expect(fs.existsSync(repo)).toBe(false);
  });

  it('refuses an HTTP port on 0.0.0.0 (--http-host) without an admin token, though the gRPC listener is on loopback', async () => {
    const repo = path.join(root, 'refused-http');
    const { child, stderr } = controller(['--host', '127.0.0.1', '--http-host', '0.0.0.0', '--repo', repo]);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr()).toContain('refusing to listen on 0.0.0.0 without an admin token');
    expect(fs.existsSync(repo)).toBe(false);
  });

  it('starts on 0.0.0.0 when told --insecure, and warns', async () => {
    const repo = path.join(root, 'insecure');
    fs.mkdirSync(repo);
    const { child, stderr } = controller(['--host', '0.0.0.0', '--repo', repo, '--insecure']);
    try {
      const { port } = await waitForListeningPort(child, { timeoutMs: 60_000, detail: stderr });
      expect(port).toBeGreaterThan(0);
      expect(stderr()).toContain('insecure_listen');
    } finally {
      await stopChild(child);
    }
  });

  it('starts on 0.0.0.0 with an admin token (from the environment too)', async () => {
    const repo = path.join(root, 'token');
    fs.mkdirSync(repo);
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, CLI, 'controller', '--port', '0', '--metrics-port', '0', '--http-port', '0', '--host', '0.0.0.0', '--repo', repo], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...cleanEnv(), PUNCTUAL_ADMIN_TOKEN: ADMIN },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const { port } = await waitForListeningPort(child, { timeoutMs: 60_000, detail: () => stderr });
      expect(port).toBeGreaterThan(0);
      expect(stderr).not.toContain('insecure_listen');
    } finally {
      await stopChild(child);
    }
  });
});

describe('metrics and health listen on loopback by default', () => {
  let cluster: TestCluster;
  // A machine with no non-loopback IPv4 address cannot check "unreachable from
  // elsewhere"; those assertions alone are skipped there.
  const other = nonLoopbackIPv4();

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['cls']);
    cluster.token = ADMIN;
    // The controller itself on every address (with an admin token), its metrics left at their default.
    await cluster.startController(['--host', '0.0.0.0', '--admin-token', ADMIN, '--log-level', 'info']);
    cluster.startWorker({ extra: ['--log-level', 'info'] });
    cluster.startWorker({ extra: ['--listen-host', '0.0.0.0'] });
    await cluster.waitForWorkers(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("serves the controller's metrics on 127.0.0.1 only, while its gRPC port is on every address", async () => {
    const port = cluster.metricsPort;
    expect((await httpGet(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    expect(cluster.logText()).toContain(`metrics on http://127.0.0.1:${port}/metrics`);
    if (other) {
      expect(await connects(other, Number(cluster.address.split(':')[1]))).toBe(true);
      await expect(httpGet(`http://${other}:${port}/metrics`)).rejects.toThrow(/ECONNREFUSED/);
    }
  });

  it("serves a worker's metrics and health port on 127.0.0.1 by default, on every address with --listen-host", async () => {
    const local = await cluster.workerPorts.get(cluster.workers[0]!)!;
    const everywhere = await cluster.workerPorts.get(cluster.workers[1]!)!;
    expect((await httpGet(`http://127.0.0.1:${local.metricsPort}/metrics`)).status).toBe(200);
    expect(await connects('127.0.0.1', local.healthPort)).toBe(true);
    expect(cluster.logText()).toContain(`worker metrics on http://127.0.0.1:${local.metricsPort}/metrics, health (gRPC) on 127.0.0.1:${local.healthPort}`);
    if (other) {
      await expect(httpGet(`http://${other}:${local.metricsPort}/metrics`)).rejects.toThrow(/ECONNREFUSED/);
      expect(await connects(other, local.healthPort)).toBe(false);
      expect((await httpGet(`http://${other}:${everywhere.metricsPort}/metrics`)).status).toBe(200);
      expect(await connects(other, everywhere.healthPort)).toBe(true);
    }
  });
});
