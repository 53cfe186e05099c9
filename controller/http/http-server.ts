// The controller's HTTP port (--http-port, Triton's 8000): one fastify app
// that others mount their routes on as plugins — the V2 REST API
// (v2-routes.ts) and the dashboard (controller/dashboard/). Fastify was
// chosen for its encapsulated plugins (each plugin has its own body parsers
// and hooks, so the V2 routes' binary bodies do not leak into the dashboard),
// its body limits checked before a body is read, and its timeouts.
//
// Bounded like the gRPC listener: bodies past `bodyLimit` (the controller's
// maxMessageBytes) are 413 unread; a request whose whole body has not
// arrived within `requestTimeoutMs` is answered 408 and its socket closed
// (a slowloris body cannot hold a connection for ever); headers must arrive
// within `headersTimeoutMs`. TLS from the same PEM pair as the gRPC
// listener. Every error leaves as V2's JSON shape, {"error": "..."}.
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { capMessage } from '../../common/bounded-text.js';
import { PunctualError, Status } from '../../common/errors.js';
import { hostPort } from '../../common/listen-address.js';
import type { TlsPair } from '../../common/metrics-server.js';
import type { Logger } from '../../common/log.js';

/** Routes to mount on the HTTP server: a fastify plugin (registered with app.register, so encapsulated). */
export type HttpPlugin = (app: FastifyInstance) => Promise<void> | void;

export interface HttpServerOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** HTTPS with this pair. @default plain HTTP */
  tls?: TlsPair;
  /** Largest body read, bytes; a longer one is 413 without being read. */
  bodyLimit: number;
  /** The whole request (headers and body) must arrive within this, ms. @default 30000 */
  requestTimeoutMs?: number;
  /** The headers must arrive within this, ms. @default 10000 */
  headersTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this, ms (longer than the usual 60 s of load balancers). @default 65000 */
  keepAliveTimeoutMs?: number;
  /** How often Node checks the request and headers timeouts, ms (Node's own default is 30 s). @default 1000 */
  timeoutCheckMs?: number;
  /** Mounted in order. */
  plugins: readonly HttpPlugin[];
  log: Logger;
}

export interface HttpServer {
  /** The port it listens on (the real one when 0 was asked). */
  port: number;
  /** The address it listens on, as the socket reports it. */
  host: string;
  /** http:// or https://, host and port. */
  url: string;
  /** The fastify app (tests use inject). */
  app: FastifyInstance;
  close(): Promise<void>;
}

/** HTTP status of fastify's own errors that are the client's (bad JSON, too large, timeouts), else 500. */
function errorStatus(err: FastifyError): number {
  const s = err.statusCode;
  return typeof s === 'number' && s >= 400 && s < 600 ? s : 500;
}

/** The fastify app with the plugins mounted, not listening (tests inject into it). */
export async function buildHttpApp(opts: Omit<HttpServerOptions, 'port' | 'host'>): Promise<FastifyInstance> {
  const requestTimeout = opts.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit,
    requestTimeout,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 65_000,
    // Model names may be long (at most 256 characters, model-config.ts), and so may their routes' parameters.
    routerOptions: { maxParamLength: 512 },
    // Node checks the timeouts every connectionsCheckingInterval; its 30 s would let a slow body outlive requestTimeout by that much.
    ...(opts.tls
      ? { https: { cert: opts.tls.cert, key: opts.tls.key, connectionsCheckingInterval: opts.timeoutCheckMs ?? 1000 } }
      : { http: { connectionsCheckingInterval: opts.timeoutCheckMs ?? 1000 } }),
  });
  // Node wants the headers' timeout within the whole request's.
  app.server.headersTimeout = Math.min(opts.headersTimeoutMs ?? 10_000, requestTimeout);
  const { log } = opts;
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = errorStatus(err);
    if (status >= 500) {
      log.error({ event: 'http_unexpected_error', err }, 'unexpected error on the HTTP port');
      return reply.code(500).send({ error: 'internal error (see controller log)' });
    }
    return reply.code(status).send({ error: capMessage(err.message) });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${capMessage(req.url.split('?')[0] ?? '', 200)} (see the README's REST section)` }));
  for (const p of opts.plugins) await app.register(p);
  return app;
}

/** Starts the HTTP server with `plugins` mounted and listens. */
export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const app = await buildHttpApp(opts);
  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    await app.close();
    const code = (err as { code?: unknown }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      const why = code === 'EADDRINUSE' ? 'is in use' : 'may not be bound by this user';
      throw new PunctualError(Status.FAILED_PRECONDITION, `the HTTP port ${hostPort(opts.host, opts.port)} (V2 REST) ${why}: choose another with --http-port (0 picks a free one), or turn it off with --http-port -1`, 'http_port_unavailable');
    }
    throw err;
  }
  const addr = app.server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    port: addr.port,
    host: addr.address,
    url: `${opts.tls ? 'https' : 'http'}://${shownHost}:${addr.port}`,
    app,
    close: async () => {
      // Keep-alive connections would hold close() open until they idle out.
      app.server.closeIdleConnections();
      const force = setTimeout(() => app.server.closeAllConnections(), 2000);
      try {
        await app.close();
      } finally {
        clearTimeout(force);
      }
    },
  };
}
