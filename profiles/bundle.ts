// Measures the bundled PaddleOCR models on this machine and writes
// profiles/bundled/<name>.json, which the default repository ships so the
// first `punctual up` does not spend seconds profiling.
// Run: npm run build && node dist/profiles/bundle.js [iterations]
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_MODELS, bundledModelsDir } from './bundled-models.js';
import { describeFile, profileModel } from './profiler.js';

const iterations = Number(process.argv[2] ?? 30);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '..', '..') : path.resolve(here, '..');
const out = path.join(root, 'profiles', 'bundled');
await fsp.mkdir(out, { recursive: true });
for (const m of BUNDLED_MODELS) {
  const file = await describeFile(path.join(bundledModelsDir(), m.file));
  const { profile } = await profileModel(`${m.config.name}@${m.config.version}`, file, m.config.inputs, m.config.batchSizes, { iterations });
  await fsp.writeFile(path.join(out, `${m.config.name}.json`), JSON.stringify(profile, null, 2) + '\n');
  const b = Object.values(profile.classes)[0]!;
  console.log(`${m.config.name}: load ${b.loadMs.toFixed(1)} ms, memory ${(profile.memoryBytes / 2 ** 20).toFixed(1)} MiB, ` +
    b.batches.map((x) => `b${x.batch} p50 ${x.p50Ms.toFixed(1)} p99 ${x.p99Ms.toFixed(1)}`).join(', '));
}
