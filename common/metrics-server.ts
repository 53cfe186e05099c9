// The Prometheus endpoint of a process: GET /metrics on its own HTTP port
// (controller: --metrics-port, default 9464; worker: its --metrics-port),
// serving one prom-client registry. Also GET /healthz (live: 200) and
// /readyz (200 when ready, 503 otherwise) for probes that speak HTTP only.
import http from 'node:http';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  /** The port it listens on (the real one when 0 was asked). */
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(registry: Registry, port: number, host: string, ready: () => boolean): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (url === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else if (url === '/healthz') {
      res.writeHead(200).end('ok\n');
    } else if (url === '/readyz') {
      const ok = ready();
      res.writeHead(ok ? 200 : 503).end(ok ? 'ready\n' : 'not ready\n');
    } else {
      res.writeHead(404).end('see /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
