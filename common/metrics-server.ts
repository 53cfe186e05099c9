// The Prometheus endpoint of a process: GET /metrics on its own HTTP port
// (controller: --metrics-port, default 9464; worker: its --metrics-port),
// serving one prom-client registry. Also GET /healthz (live: 200) and
// /readyz (200 when ready, 503 otherwise) for probes that speak HTTP only.
// Secure by default: it listens on loopback unless given another host;
// with a token, /metrics needs `Authorization: Bearer <token>` (the probes
// stay open: they reveal nothing); with a certificate it speaks HTTPS.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Registry } from 'prom-client';
import { bearerOf, tokenDigest, tokenMatches } from './bearer-token.js';
import { invalidArgument } from './errors.js';
import { hostPort } from './listen-address.js';

/** A PEM certificate chain and its private key. */
export interface TlsPair {
  cert: Buffer | string;
  key: Buffer | string;
}

export interface MetricsServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** Readiness, for /readyz. */
  ready: () => boolean;
  /** Bearer token /metrics needs. @default none: /metrics is open to whoever can reach the port */
  token?: string;
  /** Serve HTTPS with this certificate. @default plain HTTP */
  tls?: TlsPair;
}

export interface MetricsServer {
  /** The port it listens on (the real one when 0 was asked). */
  port: number;
  /** The address it listens on, as the socket reports it. */
  host: string;
  /** Where /metrics is, e.g. https://127.0.0.1:9464/metrics. */
  url: string;
  close(): Promise<void>;
}

/** Reads a certificate and key pair from PEM files; undefined when neither is given, an error when only one is. */
export function readTlsPair(certFile: string | undefined, keyFile: string | undefined, flags = '--metrics-tls-cert and --metrics-tls-key'): TlsPair | undefined {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw invalidArgument(`TLS needs both a certificate and a key (${flags})`);
  return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
}

export async function startMetricsServer(registry: Registry, opts: MetricsServerOptions): Promise<MetricsServer> {
  const accepted = opts.token ? [tokenDigest(opts.token)] : undefined;
  const handler: http.RequestListener = (req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (url === '/metrics') {
      if (accepted) {
        const token = bearerOf(req.headers.authorization);
        if (token === undefined || !tokenMatches(token, accepted)) {
          const challenge = token === undefined ? 'Bearer realm="punctual-metrics"' : 'Bearer realm="punctual-metrics", error="invalid_token"';
          res.writeHead(401, { 'WWW-Authenticate': challenge }).end('/metrics needs "Authorization: Bearer <token>" (the metrics token)\n');
          return;
        }
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else if (url === '/healthz') {
      res.writeHead(200).end('ok\n');
    } else if (url === '/readyz') {
      const ok = opts.ready();
      res.writeHead(ok ? 200 : 503).end(ok ? 'ready\n' : 'not ready\n');
    } else {
      res.writeHead(404).end('see /metrics\n');
    }
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  const host = (opts.host ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const realHost = typeof addr === 'object' && addr ? addr.address : host;
  return {
    port,
    host: realHost,
    url: `${opts.tls ? 'https' : 'http'}://${hostPort(realHost, port)}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
