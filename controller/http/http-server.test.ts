// The HTTP server on a real socket (port 0): plugins mounted side by side
// with their own body parsers, HTTPS from a PEM pair, a body with no
// content type at all (as tritonclient sends its binary requests), and a
// slow body cut off by the request timeout while the server keeps serving.
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import { httpGet } from '../../test/support/http-get.js';
import { selfSignedCertificate } from '../../test/support/self-signed.js';
import { startHttpServer, type HttpPlugin, type HttpServer } from './http-server.js';

const log = createLogger('test', 'silent');

/** Echoes the body's length, whatever its content type (as the V2 routes read bodies). */
const bytesPlugin: HttpPlugin = (app) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/bytes', (req) => ({ bytes: Buffer.isBuffer(req.body) ? req.body.byteLength : -1 }));
};
/** Another plugin keeps fastify's own JSON parser. */
const jsonPlugin: HttpPlugin = (app) => {
  app.post('/json', (req) => ({ got: req.body }));
};

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function post(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-length': String(body.byteLength), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('startHttpServer', () => {
  it('mounts plugins side by side: each keeps its own body parsing; a body without a content type is read', async () => {
    server = await startHttpServer({ port: 0, host: '127.0.0.1', bodyLimit: 1024, plugins: [bytesPlugin, jsonPlugin], log });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(await post(`${server.url}/bytes`, Buffer.alloc(10))).toEqual({ status: 200, body: '{"bytes":10}' });
    expect(await post(`${server.url}/json`, Buffer.from('{"a":1}'), { 'content-type': 'application/json' })).toEqual({ status: 200, body: '{"got":{"a":1}}' });
    const bad = await post(`${server.url}/json`, Buffer.from('{"a":'), { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({ error: expect.any(String) });
    const big = await post(`${server.url}/bytes`, Buffer.alloc(2000));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toEqual({ error: expect.stringMatching(/body/i) });
    const missing = await httpGet(`${server.url}/nothing`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: expect.stringMatching(/no route GET \/nothing/) });
  });

  it('a port in use is an error naming it and the flag that moves it', async () => {
    server = await startHttpServer({ port: 0, host: '127.0.0.1', bodyLimit: 1024, plugins: [], log });
    await expect(startHttpServer({ port: server.port, host: '127.0.0.1', bodyLimit: 1024, plugins: [], log })).rejects.toThrow(
      new RegExp(`the HTTP port 127.0.0.1:${server.port} \\(V2 REST\\) is in use: choose another with --http-port`),
    );
  });

  it('speaks HTTPS with a certificate, trusted by its CA, and not plain HTTP', async () => {
    const { cert, key } = selfSignedCertificate(['localhost', '127.0.0.1']);
    const hello: HttpPlugin = (app) => {
      app.get('/hello', () => ({ hello: true }));
    };
    server = await startHttpServer({ port: 0, host: '127.0.0.1', bodyLimit: 1024, plugins: [hello], log, tls: { cert, key } });
    expect(server.url).toMatch(/^https:/);
    const ok = await httpGet(`${server.url}/hello`, { ca: cert });
    expect(ok).toMatchObject({ status: 200, body: '{"hello":true}' });
    await expect(httpGet(`${server.url}/hello`)).rejects.toThrow(/self-signed|certificate/i);
    await expect(httpGet(`http://127.0.0.1:${server.port}/hello`, { timeoutMs: 2000 })).rejects.toThrow();
  });

  it('a body that never finishes is cut off by the request timeout; others are served meanwhile', async () => {
    server = await startHttpServer({ port: 0, host: '127.0.0.1', bodyLimit: 1024, plugins: [bytesPlugin], log, requestTimeoutMs: 300, timeoutCheckMs: 50 });
    const socket = net.connect(server.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('POST /bytes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789');
    expect(await post(`${server.url}/bytes`, Buffer.alloc(3))).toEqual({ status: 200, body: '{"bytes":3}' });
    await closed;
    expect(answer).toMatch(/^HTTP\/1.1 408/);
  });
});
