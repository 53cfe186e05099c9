// The README's picture of the dashboard, taken from a live run:
//
//   npm run build && node dist/bench/dashboard-screenshot.js [--out docs/dashboard.png] [--seconds 40]
//
// A controller and one worker as real processes (the bundled det, rec and
// cls), open-loop Poisson load on all three with their default SLOs, and,
// over the last 40 % of the run, a burst of det past what the one executor
// can do (so some requests are turned away; the sparklines show it). It
// ends 3 s before the picture, so the page's 10 s window still holds it. The
// page at /dashboard/ is shown by headless Chromium (Debian's, driven by
// playwright-core; PUNCTUAL_CHROMIUM points elsewhere) and saved as a PNG.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { waitForEvent } from '../cli/child-process.js';
import { PunctualClient } from '../client/index.js';
import { spawnCli, spawnWorker, stopAll, tempRepo } from './support.js';

const SHAPES = { det: [3, 224, 224], rec: [3, 48, 320], cls: [3, 48, 192] } as const;
type Model = keyof typeof SHAPES;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function input(model: Model): Float32Array {
  const n = SHAPES[model].reduce((a, b) => a * b, 1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random();
  return a;
}

/** Requests of `model` at `rate(t)` per second (Poisson), until `until`; none awaited. */
function openLoop(client: PunctualClient, model: Model, rate: (sinceStartS: number) => number, start: number, until: number): Promise<void> {
  const x = input(model);
  return new Promise((resolve) => {
    const next = (): void => {
      const now = performance.now();
      if (now >= until) return resolve();
      const r = rate((now - start) / 1000);
      client.infer(model, { x }).catch(() => undefined);
      setTimeout(next, (-Math.log(1 - Math.random()) / r) * 1000);
    };
    next();
  });
}

async function main(): Promise<void> {
  const out = path.resolve(arg('--out', 'docs/dashboard.png'));
  const seconds = Number(arg('--seconds', '40'));
  const executablePath = process.env.PUNCTUAL_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: apt-get install chromium, or set PUNCTUAL_CHROMIUM`);
  const repo = await tempRepo();
  const controller = spawnCli(['controller', '--port', '0', '--host', '127.0.0.1', '--metrics-port', '-1', '--http-port', '0', '--repo', repo.dir]);
  const children = [controller];
  try {
    const ready = await waitForEvent(controller, 'listening', { timeoutMs: 60_000 });
    const address = `127.0.0.1:${String(ready.port)}`;
    if (typeof ready.httpPort !== 'number') throw new Error('the controller printed no httpPort');
    const url = `http://127.0.0.1:${ready.httpPort}/dashboard/`;
    children.push(spawnWorker(address, ['--name', 'worker-1', '--metrics-port', '0', '--health-port', '0']));
    const client = new PunctualClient(address);
    for (;;) {
      const st = await client.clusterStatus().catch(() => undefined);
      if (st && st.workers.length === 1 && st.workers[0]!.executors.every((e) => e.loaded.length > 0)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 760 }, deviceScaleFactor: 1 });
    await page.goto(url);

    const start = performance.now();
    const until = start + seconds * 1000;
    // The burst ends a few seconds before the picture, so its rejections are still in the page's 10 s window.
    const burst = (t: number): boolean => t > seconds * 0.6 && t < seconds - 3;
    await Promise.all([
      openLoop(client, 'det', (t) => (burst(t) ? 110 : 20), start, until),
      openLoop(client, 'rec', () => 8, start, until),
      openLoop(client, 'cls', () => 80, start, until),
    ]);
    // The page polls every second: one more poll after the last request.
    await page.waitForTimeout(1200);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out, fullPage: true });
    console.log(`wrote ${out} (${url}, ${seconds} s of load)`);
    await browser.close();
    client.close();
  } finally {
    await stopAll(children);
    repo.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
