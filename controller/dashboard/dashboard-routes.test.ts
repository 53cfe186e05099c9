// The dashboard's routes on a fastify instance of the test's own (inject, no
// socket): the page and its files with their types and security headers,
// nothing fetched from another host, the redirects, and state.json with the
// read tokens (401 without, 403 wrong, 200 with the infer or admin token).
import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import { createLogger } from '../../common/log.js';
import { Authorizer, type TokenOptions } from '../auth.js';
import { ModelRegistry } from '../model-registry.js';
import { Estimates } from '../scheduler/estimates.js';
import { ServingCore } from '../serving-core.js';
import { dashboardRoutes, pageDir } from './dashboard-routes.js';
import type { DashboardSnapshot } from './snapshot.js';

let app: FastifyInstance | undefined;
let core: ServingCore | undefined;
afterEach(async () => {
  await app?.close();
  core?.close();
  app = undefined;
  core = undefined;
});

async function setup(tokens: TokenOptions = {}) {
  const clock = new ManualClock(50_000);
  const registry = new ModelRegistry();
  const estimates = new Estimates({ unknownExecMs: 10, unknownLoadMs: 50, clock });
  core = new ServingCore({ clock, registry, estimates, log: createLogger('test', 'silent') });
  const m = registry.add({
    key: 'det@1',
    config: { name: 'det', version: 1, inputs: [{ name: 'x', dtype: 'float32', shape: [2] }], outputs: [], maxBatch: 1, batchSizes: [1], defaultSloMs: 100 },
    dir: '',
    file: '',
    size: 0,
    sha256: '',
  });
  core.addModel(m);
  app = Fastify();
  await app.register(dashboardRoutes({ core, estimates, auth: new Authorizer(tokens), startedAt: clock.now() }));
  await app.ready();
  return { app, core, clock, m };
}

describe('dashboard routes', () => {
  it('redirects / and /dashboard to the page, relatively', async () => {
    const { app } = await setup();
    for (const url of ['/', '/dashboard']) {
      const r = await app.inject({ url });
      expect(r.statusCode).toBe(302);
      expect(r.headers.location).toBe('dashboard/');
    }
  });

  it('serves the page and its files with their types, a CSP that allows only this origin, and no-cache', async () => {
    const { app } = await setup();
    const page = await app.inject({ url: '/dashboard/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toContain('<script src="dashboard.js" defer></script>');
    expect(page.body).toContain('href="dashboard.css"');
    const js = await app.inject({ url: '/dashboard/dashboard.js' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toContain("fetch('state.json'");
    const css = await app.inject({ url: '/dashboard/dashboard.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await app.inject({ url: '/dashboard/nothing.js' })).statusCode).toBe(404);
  });

  it('needs nothing from another host: no URL in the page files but the SVG namespace', () => {
    for (const f of ['index.html', 'dashboard.js', 'dashboard.css']) {
      const text = fs.readFileSync(path.join(pageDir(), f), 'utf8');
      const urls = [...text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'"`)]*/gi)].map((m) => m[0]);
      expect(urls.filter((u) => u !== 'http://www.w3.org/2000/svg'), f).toEqual([]);
      // Nothing that writes markup from a string.
      if (f === 'dashboard.js') expect(text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
  });

  it('answers state.json to anyone when no token is configured', async () => {
    const { app } = await setup();
    const r = await app.inject({ url: '/dashboard/state.json' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    const s = r.json<DashboardSnapshot>();
    expect(s.models.map((m) => m.key)).toEqual(['det@1']);
  });

  it('with an infer token, state.json needs it (or the admin token); the page stays open', async () => {
    const { app } = await setup({ inferToken: 'inf', adminToken: 'adm' });
    const none = await app.inject({ url: '/dashboard/state.json' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="punctual"');
    expect(none.json()).toMatchObject({ error: expect.stringContaining('needs a token') });
    const wrong = await app.inject({ url: '/dashboard/state.json', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(403);
    expect(JSON.stringify(wrong.json())).not.toContain('inf');
    for (const t of ['inf', 'adm']) expect((await app.inject({ url: '/dashboard/state.json', headers: { authorization: `Bearer ${t}` } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/dashboard/' })).statusCode).toBe(200);
  });

  it('with only an admin token, state.json is open like the other read routes (ListModels)', async () => {
    const { app } = await setup({ adminToken: 'adm' });
    expect((await app.inject({ url: '/dashboard/state.json' })).statusCode).toBe(200);
  });

  it('serves one snapshot to every poll for 200 ms, then a new one', async () => {
    const { app, core, clock, m } = await setup();
    const first = (await app.inject({ url: '/dashboard/state.json' })).json<DashboardSnapshot>();
    expect(first.models[0]!.window.requests).toBe(0);
    // No worker: rejected (no_executor), which the next snapshot shows.
    expect(() => core.submit(m, [{ name: 'x', dtype: 'float32', shape: [1, 2], data: new Uint8Array(8) }], 100, clock.now())).toThrow();
    clock.advance(100);
    expect((await app.inject({ url: '/dashboard/state.json' })).json<DashboardSnapshot>().models[0]!.window.requests).toBe(0);
    clock.advance(150);
    expect((await app.inject({ url: '/dashboard/state.json' })).json<DashboardSnapshot>().models[0]!.window).toMatchObject({ requests: 1, rejectedBy: { no_executor: 1 } });
  });
});
