// The server's HTTP/2 receive windows: large per stream and per connection,
// so request bodies do not wait for window updates (see createServer).
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { createServer } from './protos.js';

describe('createServer', () => {
  it('advertises a 16 MiB receive window for each stream and for the whole connection', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const client = http2.connect(`http://127.0.0.1:${port}`);
    try {
      await new Promise<void>((resolve) => client.once('remoteSettings', () => resolve()));
      expect(client.remoteSettings.initialWindowSize).toBe(16 * 1024 * 1024);
      // The connection window arrives as a WINDOW_UPDATE just after the settings.
      for (let i = 0; i < 100 && (client.state.remoteWindowSize ?? 0) < 16 * 1024 * 1024; i++) await new Promise((r) => setTimeout(r, 10));
      expect(client.state.remoteWindowSize).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
