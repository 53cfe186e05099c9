// Plain HTTP(S) GETs for tests of the metrics endpoints, and a non-loopback
// address of this machine to check that something is not reachable there.
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface GetOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** For https: the CA to trust (PEM). */
  ca?: string | Buffer;
  /** @default 3000 */
  timeoutMs?: number;
}

/** GET `url`; rejects on a connection or TLS failure, resolves with any HTTP status. */
export function httpGet(url: string, opts: GetOptions = {}): Promise<HttpAnswer> {
  const headers = opts.token ? { Authorization: `Bearer ${opts.token}` } : {};
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    };
    const req = url.startsWith('https:') ? https.get(url, { headers, ...(opts.ca ? { ca: opts.ca } : {}) }, onResponse) : http.get(url, { headers }, onResponse);
    req.setTimeout(opts.timeoutMs ?? 3000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** An IPv4 address of this machine that is not loopback, or undefined when it has none. */
export function nonLoopbackIPv4(): string | undefined {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('127.')) return a.address;
  }
  return undefined;
}
