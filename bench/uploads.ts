// The controller's memory while models are uploaded (issue 9): a real
// controller process receives three uploads of a large file at once through
// Admin.RegisterModel (the third is refused: two at a time), each sent in
// 1 MiB chunks as fast as the client can. The file is not a valid model and
// its declared checksum is wrong, so every upload is received whole and then
// refused: what is measured is receiving, not profiling. Resident memory is
// read from /proc every 20 ms; "after" is read 2 s after the last answer.
import crypto from 'node:crypto';
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, protos } from '../common/protos.js';
import { spawnController, stopAll, tempRepo, type Figure } from './support.js';

const CHUNK = 1024 * 1024;

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Streams `size` bytes as one RegisterModel call, with a wrong checksum; resolves with the status. */
function upload(address: string, name: string, size: number): Promise<string> {
  const Admin = protos().admin.punctual.v1.Admin;
  const client = new Admin(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  const chunk = crypto.randomBytes(CHUNK);
  return new Promise((resolve) => {
    const call = client.RegisterModel((err) => {
      client.close();
      resolve(err ? grpc.status[err.code] ?? String(err.code) : 'OK');
    });
    call.write({ meta: { name, version: 0, size, sha256: '0'.repeat(64), maxBatch: 1 } });
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        const n = Math.min(CHUNK, size - sent);
        sent += n;
        if (!call.write({ chunk: n === CHUNK ? chunk : chunk.subarray(0, n) })) {
          call.once('drain', pump);
          return;
        }
      }
      call.end();
    };
    pump();
  });
}

export async function runUploadsBench(sizeMiB: number, copies = 3): Promise<Figure[]> {
  const repo = await tempRepo(['cls']);
  const { child, address } = await spawnController(repo.dir);
  const pid = child.pid!;
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const before = rssOf(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
    const t0 = performance.now();
    const statuses = await Promise.all(Array.from({ length: copies }, (_, i) => upload(address, `big${i}`, sizeMiB * CHUNK)));
    const took = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2000));
    clearInterval(sampler);
    const after = rssOf(pid);
    const mib = (b: number): string => `${(b / CHUNK).toFixed(0)} MiB`;
    return [
      {
        name: `controller RSS, peak while ${copies} uploads of ${sizeMiB} MiB arrive at once`,
        value: peak / CHUNK,
        unit: 'MiB',
        note: `before ${mib(before)}, 2 s after the last answer ${mib(after)}; answers ${statuses.join(', ')} in ${(took / 1000).toFixed(1)} s`,
      },
    ];
  } finally {
    await stopAll([child]);
    repo.cleanup();
  }
}
