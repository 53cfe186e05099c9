// malloc_trim really hands freed memory back: a process that frees most of
// 320 MiB held in small (heap, not mmap) blocks keeps those pages until the
// trim, and the trim gives most of them back (V8 frees on a background thread,
// so a trim that comes too soon is tried again, up to three times). Run in a
// child process with --expose-gc so the frees happen when the test says.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const MODULE = new URL('../dist/worker/memory-trim.js', import.meta.url).href;

const SCRIPT = `
const { loadMallocTrim } = await import(${JSON.stringify(MODULE)});
const trim = loadMallocTrim();
if (typeof trim === 'string') throw new Error(trim);
const rss = () => process.memoryUsage.rss();
const before = rss();
let held = [];
for (let i = 0; i < 5120; i++) held.push(new Uint8Array(64 * 1024).fill(1));
const full = rss();
// Keep every 16th block, so the freed ones sit below live ones and glibc cannot trim its heap's top on its own.
held = held.filter((_, i) => i % 16 === 0);
// V8 frees ArrayBuffers' memory on a background sweeper: give it time, on a busy machine too.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
globalThis.gc();
await sleep(100);
globalThis.gc();
await sleep(100);
const freed = rss();
let trimmed = Infinity;
for (let i = 0; i < 3 && freed - trimmed < 200 * 2 ** 20; i++) {
  await new Promise((resolve, reject) => trim((err) => (err ? reject(err) : resolve())));
  trimmed = Math.min(trimmed, rss());
  await sleep(100);
}
console.log(JSON.stringify({ before, full, freed, trimmed, kept: held.length }));
`;

describe('malloc_trim through koffi', () => {
  it('gives the pages of freed heap blocks back to the system', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_'))) });
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout.trim()) as { before: number; full: number; freed: number; trimmed: number };
    const MiB = 2 ** 20;
    expect(m.full - m.before).toBeGreaterThan(250 * MiB);
    // Freed but kept by the allocator...
    expect(m.freed - m.before).toBeGreaterThan(200 * MiB);
    // ...until the trim.
    expect(m.freed - m.trimmed).toBeGreaterThan(200 * MiB);
  });
});
