// The metrics endpoint on real sockets: loopback by default, a bearer token
// for /metrics (the probes stay open), and HTTPS with a certificate.
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { httpGet, nonLoopbackIPv4 } from '../test/support/http-get.js';
import { selfSignedCertificate } from '../test/support/self-signed.js';
import { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';

function registry(): Registry {
  const r = new Registry();
  new Counter({ name: 'punctual_test_total', help: 'a counter for the test', registers: [r] }).inc(3);
  return r;
}

describe('startMetricsServer', () => {
  const servers: MetricsServer[] = [];
  const start = async (opts: Partial<MetricsServerOptions> = {}): Promise<MetricsServer> => {
    const s = await startMetricsServer(registry(), { port: 0, ready: () => true, ...opts });
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('listens on 127.0.0.1 by default and reports it', async () => {
    const s = await start();
    expect(s.host).toBe('127.0.0.1');
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/metrics`);
    const r = await httpGet(s.url);
    expect(r.status).toBe(200);
    expect(r.body).toContain('punctual_test_total 3');
    // Not reachable through this machine's other addresses. (A machine with no
    // non-loopback IPv4 address cannot check this one assertion.)
    const other = nonLoopbackIPv4();
    if (other) await expect(httpGet(`http://${other}:${s.port}/metrics`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('listens where it is told', async () => {
    const s = await start({ host: '0.0.0.0' });
    expect(s.host).toBe('0.0.0.0');
    const other = nonLoopbackIPv4();
    // Skipped on a machine with no non-loopback IPv4 address.
    if (other) expect((await httpGet(`http://${other}:${s.port}/metrics`)).status).toBe(200);
  });

  it('needs the bearer token for /metrics with one set; the probes stay open', async () => {
    let ready = false;
    const s = await start({ token: 'metrics-secret', ready: () => ready });
    const none = await httpGet(s.url);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer realm="punctual-metrics"$/);
    expect(none.body).not.toContain('punctual_test_total');
    const wrong = await httpGet(s.url, { token: 'metrics-secreT' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    const ok = await httpGet(s.url, { token: 'metrics-secret' });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('punctual_test_total 3');
    expect((await httpGet(`http://127.0.0.1:${s.port}/healthz`)).status).toBe(200);
    expect((await httpGet(`http://127.0.0.1:${s.port}/readyz`)).status).toBe(503);
    ready = true;
    expect((await httpGet(`http://127.0.0.1:${s.port}/readyz`)).status).toBe(200);
  });

  it('serves HTTPS with a certificate: a client trusting the CA gets through, plain HTTP does not', async () => {
    const { cert, key } = selfSignedCertificate(['localhost', '127.0.0.1']);
    const s = await start({ tls: { cert, key }, token: 'metrics-secret' });
    expect(s.url).toBe(`https://127.0.0.1:${s.port}/metrics`);
    const ok = await httpGet(s.url, { ca: cert, token: 'metrics-secret' });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('punctual_test_total 3');
    expect((await httpGet(`https://127.0.0.1:${s.port}/healthz`, { ca: cert })).status).toBe(200);
    await expect(httpGet(`http://127.0.0.1:${s.port}/metrics`, { token: 'metrics-secret' })).rejects.toThrow(/socket hang up|ECONNRESET/);
    // Nor does a client that trusts another CA.
    const other = selfSignedCertificate(['localhost', '127.0.0.1']);
    await expect(httpGet(s.url, { ca: other.cert, token: 'metrics-secret' })).rejects.toThrow(/certificate/);
  });
});
