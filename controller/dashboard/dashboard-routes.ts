// The dashboard on the controller's HTTP port: a fastify plugin serving the
// page (/dashboard/: index.html, dashboard.js, dashboard.css; / redirects
// there) and its JSON (/dashboard/state.json, snapshot.ts), which the page
// polls every second.
//
// The page's files are static and read from the source tree at start-up
// (controller/dashboard/page/, found from here both in sources and in
// dist/, as protos/ are: `tsc` copies no assets, so there is no build step
// and nothing to forget to copy). They are served with a Content-Security-
// Policy that allows only this origin's script, style and fetches: no inline
// script can run, whatever a name contains.
//
// Tokens: the page itself is open (it holds no data); state.json takes the
// infer or admin token like the other read routes (auth.ts, role `read`),
// as `Authorization: Bearer <token>`: 401 without one, 403 with a wrong one.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata } from '@grpc/grpc-js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Status } from '../../common/errors.js';
import type { Authorizer } from '../auth.js';
import type { Estimates } from '../scheduler/estimates.js';
import type { ServingCore } from '../serving-core.js';
import { DashboardStats } from './dashboard-stats.js';
import { buildDashboardSnapshot, type DashboardSnapshot, type SnapshotOptions } from './snapshot.js';

export interface DashboardDeps {
  core: ServingCore;
  estimates: Estimates;
  auth: Authorizer;
  /** The controller's start, on the core's clock (uptime). */
  startedAt: number;
  /** A snapshot younger than this is served again rather than rebuilt, however many pages poll. @default 200 */
  reuseMs?: number;
  snapshot?: SnapshotOptions;
}

/** The page's files: name → content type. */
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** controller/dashboard/page/ in the package's source tree, found from here in sources and in dist/. */
export function pageDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'controller', 'dashboard', 'page');
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the dashboard page (controller/dashboard/page/index.html) beside the package');
}

/** The HTTP status and message for a call to state.json without the token it needs; undefined when it may go on. */
export function dashboardAccess(auth: Authorizer, authorization: string | undefined): { status: 401 | 403; message: string } | undefined {
  const md = new Metadata();
  if (authorization !== undefined) md.set('authorization', authorization);
  const err = auth.check(md, 'read');
  if (!err) return undefined;
  return { status: err.code === Status.UNAUTHENTICATED ? 401 : 403, message: err.message };
}

/**
 * The dashboard's routes, to register on the controller's HTTP server. When
 * mounted, it starts counting what the dashboard shows (a ServingObserver on
 * the core) and reads the page's files.
 */
export function dashboardRoutes(deps: DashboardDeps): (app: FastifyInstance) => Promise<void> {
  const { core, estimates, auth, startedAt } = deps;
  const reuseMs = deps.reuseMs ?? 200;
  // Nothing is read or counted until the plugin is mounted: a controller with its HTTP port off pays nothing.
  return async (app: FastifyInstance): Promise<void> => {
    const stats = new DashboardStats({ now: () => core.now() });
    core.observers.push(stats);
    const dir = pageDir();
    const files = new Map(Object.entries(FILES).map(([name, type]) => [name, { type, body: fs.readFileSync(path.join(dir, name)) }]));
    let last: { at: number; snapshot: DashboardSnapshot } | undefined;
    const snapshot = (): DashboardSnapshot => {
      const now = core.now();
      if (!last || now - last.at >= reuseMs || now < last.at) last = { at: now, snapshot: buildDashboardSnapshot(core, estimates, stats, startedAt, deps.snapshot) };
      return last.snapshot;
    };
    const serveFile = (name: string) => async (_req: FastifyRequest, reply: FastifyReply) => {
      const f = files.get(name)!;
      return reply.headers(SECURITY_HEADERS).type(f.type).send(f.body);
    };

    // Relative redirects, so the page works behind a proxy that mounts the port under a path.
    app.get('/', async (_req, reply) => reply.redirect('dashboard/', 302));
    app.get('/dashboard', async (_req, reply) => reply.redirect('dashboard/', 302));
    app.get('/dashboard/', serveFile('index.html'));
    app.get('/dashboard/index.html', serveFile('index.html'));
    app.get('/dashboard/dashboard.js', serveFile('dashboard.js'));
    app.get('/dashboard/dashboard.css', serveFile('dashboard.css'));
    app.get('/dashboard/state.json', async (req, reply) => {
      reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' });
      const denied = dashboardAccess(auth, req.headers.authorization);
      if (denied) {
        if (denied.status === 401) reply.header('www-authenticate', 'Bearer realm="punctual"');
        return reply.code(denied.status).send({ error: denied.message });
      }
      return reply.type('application/json; charset=utf-8').send(snapshot());
    });
  };
}
