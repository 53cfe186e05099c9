// Locates the compiled script of a worker_threads entry point. From dist/ it
// sits beside the importing module; when code runs from TypeScript sources
// (vitest), the .js file does not exist there, so the compiled copy under
// <package root>/dist/ is used (`npm test` builds before it runs vitest).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function threadScript(importMetaUrl: string, fileName: string): string {
  const here = path.dirname(fileURLToPath(importMetaUrl));
  const beside = path.join(here, fileName);
  if (fs.existsSync(beside)) return beside;
  let dir = here;
  for (let i = 0; i < 4; i++) {
    const parent = path.dirname(dir);
    if (fs.existsSync(path.join(parent, 'package.json'))) {
      const rel = path.relative(parent, here);
      const compiled = path.join(parent, 'dist', rel, fileName);
      if (fs.existsSync(compiled)) return compiled;
      throw new Error(`${compiled} is missing: run \`npm run build\` first`);
    }
    dir = parent;
  }
  throw new Error(`cannot locate ${fileName} next to ${here}`);
}
