// onnxruntime's telemetry stays off in Punctual's processes (common/ort-env.ts):
// with HOME and TMPDIR pointed at an empty folder (onnxruntime honours
// TMPDIR for its mat-debug-<pid>.log), a process that creates sessions leaves
// neither that log nor the telemetry database with its device id under
// ~/.cache/Microsoft — unless the user opts in with PUNCTUAL_ORT_TELEMETRY=1,
// which also shows these checks can see the files. Real sessions: a bare
// child importing dist/worker/ort-session.js, and a controller that profiles
// a model (profile threads) with a worker that loads and runs it (executor
// threads). Files left in /tmp by earlier runs (a pid since reused) are not looked at.
// onnxruntime also stays quiet on its own under a CI service (it looks for CI,
// GITHUB_ACTIONS, TF_BUILD, …), which would make the opt-in check fail and the
// others pass for the wrong reason, so the children run without those.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { stopChild, waitForListeningPort } from '../cli/child-process.js';
import { PunctualClient } from '../client/index.js';
import { SERVER_NODE_FLAGS } from '../common/node-flags.js';
import { ensureDefaultRepository } from '../controller/default-repository.js';
import { bundledModelsDir } from '../profiles/bundled-models.js';
import { CLI, randomFloat32, SHAPES } from './support/cluster.js';
import { disableOrtTelemetry } from '../common/ort-env.js';

const run = promisify(execFile);
const ORT_SESSION_JS = path.join(path.dirname(CLI), '..', 'worker', 'ort-session.js');
const CLS = path.join(bundledModelsDir(), 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

/** The variables onnxruntime reads to tell it runs under CI (strings in libonnxruntime.so). */
const CI_MARKERS = ['CI', 'TF_BUILD', 'GITHUB_ACTIONS', 'GITLAB_CI', 'CIRCLECI', 'TRAVIS', 'JENKINS_URL', 'CODEBUILD_BUILD_ID', 'BUILDKITE', 'TEAMCITY_VERSION', 'APPVEYOR', 'BITBUCKET_BUILD_NUMBER'];

/** When this file began (wall clock, as file times are), less a second for timestamp granularity. */
const STARTED_MS = Date.now() - 1000;

const roots: string[] = [];
const children: ChildProcess[] = [];

/** A fresh HOME and TMPDIR, and the environment of a child that uses them (no telemetry choice of its own). */
function sandbox(extra: Record<string, string> = {}): { home: string; tmp: string; env: NodeJS.ProcessEnv } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-ort-'));
  roots.push(root);
  const home = path.join(root, 'home');
  const tmp = path.join(root, 'tmp');
  fs.mkdirSync(home);
  fs.mkdirSync(tmp);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: tmp, PUNCTUAL_LOG_LEVEL: 'info', ...extra };
  delete env.ORT_DISABLE_TELEMETRY;
  for (const name of CI_MARKERS) delete env[name];
  if (!('PUNCTUAL_ORT_TELEMETRY' in extra)) delete env.PUNCTUAL_ORT_TELEMETRY;
  return { home, tmp, env };
}

/** What onnxruntime's telemetry left: mat-debug logs (and its .ses file) in the sandbox or /tmp for `pids`, anything under ~/.cache/Microsoft. */
function telemetryFiles(s: { home: string; tmp: string }, pids: number[]): string[] {
  const found = fs.readdirSync(s.tmp).filter((n) => n.startsWith('mat-debug-') || n === '.ses').map((n) => path.join(s.tmp, n));
  for (const pid of pids) {
    // Only one written since this file began: an earlier process with the same pid may have left one.
    const inTmp = `/tmp/mat-debug-${pid}.log`;
    const st = fs.statSync(inTmp, { throwIfNoEntry: false });
    if (st && st.mtimeMs >= STARTED_MS) found.push(inTmp);
  }
  const cache = path.join(s.home, '.cache', 'Microsoft');
  if (fs.existsSync(cache)) found.push(...fs.readdirSync(cache, { recursive: true, encoding: 'utf8' }).map((n) => path.join(cache, n)));
  return found;
}

/** A child that creates a session through ort-session.js and runs it once; resolves with its pid. */
async function sessionChild(env: NodeJS.ProcessEnv): Promise<number> {
  const script = `
    const { createSession, runSession } = await import(${JSON.stringify(ORT_SESSION_JS)});
    const fs = await import('node:fs');
    const s = await createSession(fs.readFileSync(${JSON.stringify(CLS)}), { device: 'cpu', threads: 1 });
    console.log(JSON.stringify({ pid: process.pid, inputs: s.inputNames, env: process.env.ORT_DISABLE_TELEMETRY ?? null }));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env });
  const out = JSON.parse(stdout) as { pid: number; inputs: string[] };
  expect(out.inputs).toEqual(['x']);
  return out.pid;
}

afterAll(async () => {
  await Promise.all(children.map((c) => stopChild(c, 3000)));
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

describe('onnxruntime telemetry', () => {
  it('is turned off unless the user chose', () => {
    const none: Record<string, string | undefined> = {};
    expect(disableOrtTelemetry(none)).toBe('1');
    const optIn: Record<string, string | undefined> = { PUNCTUAL_ORT_TELEMETRY: '1' };
    expect(disableOrtTelemetry(optIn)).toBeUndefined();
    const own: Record<string, string | undefined> = { ORT_DISABLE_TELEMETRY: '0' };
    expect(disableOrtTelemetry(own)).toBe('0');
  });

  it('leaves no mat-debug log and no telemetry database behind a process that creates a session', async () => {
    const s = sandbox();
    const pid = await sessionChild(s.env);
    expect(telemetryFiles(s, [pid])).toEqual([]);
  });

  it('writes them when the user opts in with PUNCTUAL_ORT_TELEMETRY=1 (so the check above can see them)', async () => {
    const s = sandbox({ PUNCTUAL_ORT_TELEMETRY: '1' });
    const pid = await sessionChild(s.env);
    const files = telemetryFiles(s, [pid]).map((f) => path.basename(f));
    expect(files).toContain(`mat-debug-${pid}.log`);
    expect(files).toContain('.ses');
    expect(files).toContain('deviceid');
  });

  it('leaves none behind a controller that profiles a model and a worker that loads and runs it', async () => {
    const s = sandbox();
    const repo = path.join(path.dirname(s.home), 'models');
    await ensureDefaultRepository(repo, ['cls']);
    fs.rmSync(path.join(repo, 'cls', '1', 'profile.json'));
    const spawnCli = (args: string[]): ChildProcess => {
      const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: s.env });
      children.push(child);
      return child;
    };
    const controller = spawnCli(['controller', '--port', '0', '--host', '127.0.0.1', '--metrics-port', '-1', '--http-port', '-1', '--profile-iterations', '2', '--repo', repo]);
    let controllerLog = '';
    controller.stderr!.on('data', (d: Buffer) => (controllerLog += d.toString()));
    const { port } = await waitForListeningPort(controller, { timeoutMs: 60_000, detail: () => controllerLog });
    expect(controllerLog).toMatch(/"event":"profiled"/);
    const worker = spawnCli(['worker', '--controller', `127.0.0.1:${port}`, '--metrics-port', '-1', '--health-port', '-1']);
    const client = new PunctualClient(`127.0.0.1:${port}`);
    try {
      const until = Date.now() + 60_000;
      while ((await client.clusterStatus()).workers.length < 1) {
        if (Date.now() > until) throw new Error('the worker did not join');
        await new Promise((r) => setTimeout(r, 100));
      }
      const r = await client.infer('cls', { x: randomFloat32([...SHAPES.cls]) }, { sloMs: 30_000 });
      expect(Object.keys(r.outputs)).toEqual(['softmax_0.tmp_0']);
    } finally {
      client.close();
    }
    await stopChild(worker);
    await stopChild(controller);
    expect(telemetryFiles(s, [controller.pid!, worker.pid!])).toEqual([]);
  });
});
