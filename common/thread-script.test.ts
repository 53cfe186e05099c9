// threadScript and assertBuilt on a throwaway package (package.json, .ts
// sources, a dist/ of compiled copies) whose mtimes are set by hand: a thread
// script taken from dist/ is refused, naming the file and `npm run build`,
// when it or a module it imports is missing or older than its source.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, threadScript } from './thread-script.js';

const OLD = new Date('2020-01-01T00:00:00Z');
const NEW = new Date('2021-01-01T00:00:00Z');

let root: string;

function write(rel: string, text: string, mtime: Date): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.utimesSync(file, mtime, mtime);
}

function touch(rel: string, mtime: Date): void {
  fs.utimesSync(path.join(root, rel), mtime, mtime);
}

/** Where a module at <root>/src/caller.ts asks for its thread script. */
const caller = (): string => pathToFileURL(path.join(root, 'src', 'caller.ts')).href;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-thread-script-'));
  write('package.json', '{}', OLD);
  // Sources, written first (OLD); their compiled copies, written by a build after them (NEW).
  write('src/caller.ts', '', OLD);
  write('src/thread.ts', "import { helper } from './helper.js';\nimport type { T } from '../lib/types.js';\n", OLD);
  write('src/helper.ts', "export { deep } from '../lib/deep.js';\n", OLD);
  write('lib/deep.ts', 'export const deep = 1;\n', OLD);
  write('lib/types.ts', 'export type T = number;\n', OLD);
  // Comments that quote an import (as a doc comment may) are no imports: were they followed, dist/ would lack not-there.js.
  write(
    'dist/src/thread.js',
    "// the thread; import './not-there.js' is quoted\n/**\n * as is import('./not-there.js')\n */\nimport { helper } from './helper.js';\nconst lazy = () => import('../lib/lazy.js');\n",
    NEW,
  );
  write('dist/src/helper.js', "export { deep } from '../lib/deep.js';\n", NEW);
  write('dist/lib/deep.js', 'export const deep = 1;\n', NEW);
  write('dist/lib/lazy.js', 'export const lazy = 1;\n', NEW);
  write('lib/lazy.ts', 'export const lazy = 1;\n', OLD);
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('threadScript', () => {
  it('takes the compiled copy under dist/ when it and its imports are current', () => {
    expect(threadScript(caller(), 'thread.js')).toBe(path.join(root, 'dist', 'src', 'thread.js'));
  });

  it('prefers a script beside the caller (running from dist/), without judging it', () => {
    write('src/thread.js', '', OLD);
    touch('src/thread.ts', NEW);
    expect(threadScript(caller(), 'thread.js')).toBe(path.join(root, 'src', 'thread.js'));
  });

  it('refuses a missing compiled script, saying to build', () => {
    fs.rmSync(path.join(root, 'dist'), { recursive: true });
    expect(() => threadScript(caller(), 'thread.js')).toThrow('dist/src/thread.js is missing: run `npm run build` first');
  });

  it('refuses a compiled script older than its source', () => {
    touch('src/thread.ts', new Date(NEW.getTime() + 1));
    expect(() => threadScript(caller(), 'thread.js')).toThrow('dist/src/thread.js is older than src/thread.ts: run `npm run build`');
  });

  it('accepts a source exactly as old as its compiled copy', () => {
    touch('src/thread.ts', NEW);
    expect(threadScript(caller(), 'thread.js')).toBe(path.join(root, 'dist', 'src', 'thread.js'));
  });
});

describe('assertBuilt', () => {
  const thread = (): string => path.join(root, 'dist', 'src', 'thread.js');

  it('follows imports transitively: a stale module two imports away is refused', () => {
    touch('lib/deep.ts', new Date(NEW.getTime() + 1000));
    expect(() => assertBuilt(thread(), root)).toThrow('dist/lib/deep.js is older than lib/deep.ts: run `npm run build`');
  });

  it('follows dynamic imports', () => {
    touch('lib/lazy.ts', new Date(NEW.getTime() + 1000));
    expect(() => assertBuilt(thread(), root)).toThrow('dist/lib/lazy.js is older than lib/lazy.ts');
  });

  it('refuses a compiled module that an import needs but dist/ lacks', () => {
    fs.rmSync(path.join(root, 'dist', 'lib', 'deep.js'));
    expect(() => assertBuilt(thread(), root)).toThrow('dist/lib/deep.js is missing: run `npm run build` first');
  });

  it('ignores type-only sources (erased from the compiled code) and compiled files without a source', () => {
    touch('lib/types.ts', new Date(NEW.getTime() + 1000));
    fs.rmSync(path.join(root, 'lib', 'lazy.ts'));
    expect(() => assertBuilt(thread(), root)).not.toThrow();
  });
});
