// Builds dist/cli/bundle/ from the modules tsc wrote (npm run build runs it
// after tsc): cli/program.js and the client commands (cli/fast-path.ts
// BUNDLED_COMMANDS) with everything they import, node_modules included, as
// a few ES modules. The other commands, and the controller's option check
// the program imports for its error messages, stay outside: the bundle
// imports them from dist/ where tsc wrote them, and a bundled run never
// does (cli/main.ts sends every other run to dist/cli/program.js).
// dist/cli/bundle/meta.json lists what went in (test/cli-startup.e2e.test.ts
// reads it). onnxruntime-node, the browser driver and @grpc/proto-loader are
// never bundled.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { BUNDLED_COMMANDS } from './fast-path.js';

const CLI = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(CLI, 'bundle');

/** What the bundle leaves to dist/: every command module it does not carry, and the controller's options. */
function leftOut(resolved: string): boolean {
  const rel = path.relative(path.dirname(CLI), resolved).split(path.sep).join('/');
  const command = /^cli\/commands\/([a-z-]+)\.js$/.exec(rel);
  if (command) return !BUNDLED_COMMANDS.has(command[1]!);
  return rel === 'controller/options.js';
}

const keepOut: esbuild.Plugin = {
  name: 'punctual-leave-out',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const resolved = path.resolve(args.resolveDir, args.path);
      if (!leftOut(resolved)) return undefined;
      const fromOut = path.relative(OUT, resolved).split(path.sep).join('/');
      return { path: fromOut.startsWith('.') ? fromOut : `./${fromOut}`, external: true };
    });
  },
};

fs.rmSync(OUT, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: { program: path.join(CLI, 'program.js') },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // proto-loader (and the .proto parser it brings) only for channelz and exact descriptors, both loaded on demand from node_modules.
  external: ['onnxruntime-node', 'playwright-core', '@grpc/proto-loader'],
  plugins: [keepOut],
  // CommonJS packages (grpc-js, protobufjs, commander) call require(): give the ES modules one.
  banner: { js: "import { createRequire as __punctualRequire } from 'node:module'; const require = __punctualRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
  // protobufjs looks for optional modules with an eval'd require; it copes when they are absent.
  logOverride: { 'direct-eval': 'silent', 'require-resolve-not-external': 'silent' },
});
// Each file written (its path from the package root) and the modules in it.
const outputs: Record<string, string[]> = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) if (file.endsWith('.js')) outputs[file] = Object.keys(out.inputs).sort();
fs.writeFileSync(path.join(OUT, 'meta.json'), JSON.stringify(outputs, null, 2) + '\n');
