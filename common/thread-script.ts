// Locates the compiled script of a worker_threads entry point. From dist/ it
// sits beside the importing module; when code runs from TypeScript sources
// (vitest), the .js file does not exist there, so the compiled copy under
// <package root>/dist/ is used. That copy is only as new as the last
// `npm run build`: a thread running it after a source edit would run the old
// code without a word, so it is refused when it, or any module it imports,
// is missing or older than its .ts source.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The thread script `fileName` for the module at `importMetaUrl` (an absolute path). Throws when it must come from dist/ and dist/ is missing or stale. */
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
      assertBuilt(compiled, parent);
      return compiled;
    }
    dir = parent;
  }
  throw new Error(`cannot locate ${fileName} next to ${here}`);
}

/** Static `import … from` / `export … from` and bare `import '…'` statements, at the start of a line. */
const STATIC_IMPORTS = [/^(?:import|export)\b[^;'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/gm, /^import\s*['"](\.{1,2}\/[^'"]+)['"]/gm];
/** A dynamic import of a relative specifier. */
const DYNAMIC_IMPORT = /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
/** A line that is (part of) a comment: `//`, `/*` or a ` * ` continuation. */
const COMMENT_LINE = /^\s*(?:\/\/|\/\*|\*)/;

/** The relative module specifiers compiled JavaScript imports; comments that quote an import do not count. */
function relativeImports(js: string): string[] {
  const found = STATIC_IMPORTS.flatMap((pattern) => [...js.matchAll(pattern)].map((m) => m[1]!));
  for (const line of js.split('\n')) {
    if (!COMMENT_LINE.test(line)) for (const m of line.matchAll(DYNAMIC_IMPORT)) found.push(m[1]!);
  }
  return found;
}

/**
 * Throws unless `compiled` (a file under `<root>/dist/`) and every module it
 * imports, transitively by relative path, exist and are no older than their
 * `.ts` sources under `root`. Type-only imports are erased by the compiler,
 * so only what the thread runs is checked. A compiled file whose source is
 * gone is not judged (its importer's source changed too, and is).
 */
export function assertBuilt(compiled: string, root: string): void {
  const dist = path.join(root, 'dist');
  const seen = new Set<string>();
  const todo = [compiled];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const built = statOrUndefined(file);
    const shown = path.relative(root, file);
    if (!built) throw new Error(`${shown} is missing: run \`npm run build\` first`);
    const source = path.join(root, path.relative(dist, file)).replace(/\.js$/, '.ts');
    const written = statOrUndefined(source);
    if (written && written.mtimeMs > built.mtimeMs) {
      throw new Error(`${shown} is older than ${path.relative(root, source)}: run \`npm run build\` (a thread would run the old code)`);
    }
    for (const spec of relativeImports(fs.readFileSync(file, 'utf8'))) todo.push(path.resolve(path.dirname(file), spec));
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}
