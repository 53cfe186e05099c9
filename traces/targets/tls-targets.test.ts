// TLS targets (https://, grpcs://) against fake V2 servers with a
// self-signed certificate made in the test: the CA given (--tls-ca) is
// trusted, and without it, or with another CA, the run stops before it
// starts with a clear UNAVAILABLE naming the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../test/support/self-signed.js';
import { startFakeV2Grpc, startFakeV2Http, type FakeV2Grpc, type FakeV2Http } from '../../test/support/fake-v2-server.js';
import { prng } from '../random.js';
import { openTarget } from './open-target.js';
import { parseTarget } from './target-url.js';

const MODELS = [{ name: 'det', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, 4, 4] }] }];
const mine = selfSignedCertificate(['localhost', '127.0.0.1']);
const other = selfSignedCertificate(['localhost', '127.0.0.1']);

let web: FakeV2Http;
let rpc: FakeV2Grpc;
beforeAll(async () => {
  web = await startFakeV2Http(MODELS, mine);
  rpc = await startFakeV2Grpc(MODELS, mine);
});
afterAll(async () => {
  await web.close();
  await rpc.close();
});

async function answers(url: string, ca?: string): Promise<unknown> {
  const t = openTarget(parseTarget({ controller: '', target: url }), { ...(ca ? { ca: Buffer.from(ca) } : {}), token: 'k' });
  try {
    const m = await t.prepare('det', prng(1));
    return await m.infer(0, 100, 2000);
  } finally {
    await t.close();
  }
}

describe('TLS targets', () => {
  it('https:// with the server’s CA: answered, the token sent', async () => {
    expect(web.url.startsWith('https://')).toBe(true);
    await expect(answers(web.url, mine.cert)).resolves.toHaveProperty('latencyMs');
    expect(web.seen.at(-1)?.authorization).toBe('Bearer k');
  });

  it('grpcs:// with the server’s CA: answered, the token sent', async () => {
    await expect(answers(`grpcs://${rpc.address}`, mine.cert)).resolves.toHaveProperty('latencyMs');
    expect(rpc.seen.at(-1)?.authorization).toBe('Bearer k');
  });

  it('an untrusted certificate stops the run with UNAVAILABLE, naming the server', async () => {
    await expect(answers(web.url)).rejects.toMatchObject({ statusName: 'UNAVAILABLE', message: expect.stringContaining(`cannot reach a V2 HTTP server at ${web.url}`) });
    await expect(answers(web.url, other.cert)).rejects.toMatchObject({ statusName: 'UNAVAILABLE' });
    await expect(answers(`grpcs://${rpc.address}`, other.cert)).rejects.toMatchObject({ statusName: 'UNAVAILABLE', message: expect.stringContaining(`cannot reach a V2 gRPC server at grpcs://${rpc.address}`) });
    // Plaintext against a TLS port is no answer either.
    await expect(answers(`grpc://${rpc.address}`)).rejects.toMatchObject({ statusName: 'UNAVAILABLE' });
  });
});
