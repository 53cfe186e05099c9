// The compiled entry point (dist/cli/main.js) run as a process, without a
// TTY: exit statuses, JSON on stdout, and that a finished command exits.
// `npm test` builds first; run alone, this builds dist/ when it is missing.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../common/node-flags.js';
import { startFakeBackend, type FakeBackend } from './support/fake-backend.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function punctual(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 30_000, env: { ...process.env, PUNCTUAL_CONTROLLER: '', PUNCTUAL_TOKEN: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let backend: FakeBackend;

beforeAll(async () => {
  if (!fs.existsSync(MAIN)) execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json')]);
  backend = await startFakeBackend();
});
afterAll(async () => {
  await backend.close();
});

describe('dist/cli/main.js', () => {
  it('starts with a node shebang that carries the server V8 flags (it is the package bin)', () => {
    expect(fs.readFileSync(MAIN, 'utf8').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${SERVER_NODE_FLAGS.join(' ')}`);
  });

  it('runs through its shebang line, and npm start and npm run bench pass the same flags', () => {
    const [cmd, ...args] = fs.readFileSync(MAIN, 'utf8').split('\n')[0]!.slice(2).split(' ');
    const out = execFileSync(cmd!, [...args, MAIN, '--help'], { encoding: 'utf8' });
    expect(out).toContain('Usage: punctual');
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'bench']) expect(scripts[name]).toMatch(new RegExp(`^node ${SERVER_NODE_FLAGS.join(' ')} `));
  });

  it('is executable as built, so the package bin (npx punctual) runs it directly', () => {
    expect(fs.statSync(MAIN).mode & 0o111).not.toBe(0);
    expect(execFileSync(MAIN, ['--help'], { encoding: 'utf8' })).toMatch(/Usage: punctual/);
  });

  it('exits 2 on an unknown command', async () => {
    const r = await punctual(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('prints an OK infer report as JSON and exits 0', async () => {
    const r = await punctual(['--controller', backend.address, 'infer', 'img', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'OK', model: 'img', version: 2 });
  });

  it('exits 1 with UNAVAILABLE naming the address when nothing listens there', async () => {
    const dead = await startFakeBackend();
    await dead.close();
    const r = await punctual(['status', '--json', '--controller', dead.address]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { status: string; message: string };
    expect(report.status).toBe('UNAVAILABLE');
    expect(report.message).toContain(dead.address);
  });
});
