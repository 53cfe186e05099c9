// `punctual models register|list|describe|unregister`: the model admin calls.
// Register reads the file, streams it with a progress bar (a terminal only,
// never with --json) and prints what became servable. List reads every model
// a page at a time, or shows one page (--limit, --page-token).
//
// In a ring of controllers (cli/ring-route.ts) a call about one name goes to
// its owner; `register --copies n` goes to every member that owns some of the
// copies (each registers its share), and `list` reads every member, each
// member's answer labelled (--json: {ring, controllers: [{controller, …}]}).
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PunctualAdmin, type RegisterOptions } from '../../client/admin.js';
import { MAX_COPIES } from '../../controller/model-registry.js';
import { MAX_MODEL_THREADS } from '../../common/model-threads.js';
import type { ControllerRing } from '../../common/ring.js';
import type { InputDeclaration } from '../../common/wire.js';
import { integerIn, parseMs } from '../args.js';
import { clientOptions, globalsOf, interactive, type CliContext, type GlobalOptions } from '../context.js';
import { formatBytes } from '../format.js';
import { renderDescribe, renderModelList, renderModelPage, renderRegistered } from '../models-view.js';
import { progressBar } from '../progress.js';
import { at, copiesByOwner, learnRoute, memberLabel, onEach, onRingToken, writeEach, type Route } from '../ring-route.js';

/** "1,2,4,8" → [1, 2, 4, 8]. */
export function parseIntList(s: string): number[] {
  const parts = s.split(',').map((p) => p.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || nums.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError(`${JSON.stringify(s)} must be a comma-separated list of positive integers, e.g. 1,2,4,8.`);
  }
  return nums;
}

/** "3,48,192" (the model's one input) or "x:3,48,192" (a named input); repeatable. */
export function parseInputShape(s: string, previous: InputDeclaration[] = []): InputDeclaration[] {
  const colon = s.lastIndexOf(':');
  const name = colon >= 0 ? s.slice(0, colon) : '';
  const shape = parseIntList(colon >= 0 ? s.slice(colon + 1) : s);
  return [...previous, { name, dtype: '', shape }];
}

interface RegisterFlags {
  name: string;
  version?: number;
  maxBatch?: number;
  threads?: number;
  batchSizes?: number[];
  sloMs?: number;
  inputShape?: InputDeclaration[];
  copies: number;
}

async function withAdmin<T>(g: GlobalOptions, fn: (a: PunctualAdmin) => Promise<T>): Promise<T> {
  const admin = new PunctualAdmin(g.controller, clientOptions(g));
  try {
    return await fn(admin);
  } finally {
    admin.close();
  }
}

/** What `register` asks for, but the progress callback. */
function registerOptions(flags: RegisterFlags): Omit<RegisterOptions, 'onProgress'> {
  return {
    name: flags.name,
    ...(flags.version !== undefined ? { version: flags.version } : {}),
    ...(flags.maxBatch !== undefined ? { maxBatch: flags.maxBatch } : {}),
    ...(flags.batchSizes ? { batchSizes: flags.batchSizes } : {}),
    ...(flags.sloMs !== undefined ? { defaultSloMs: flags.sloMs } : {}),
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
    ...(flags.inputShape ? { inputs: flags.inputShape } : {}),
    copies: flags.copies,
  };
}

/**
 * `register --copies n` in a ring: the file to each member that owns some of
 * the copies, at once (one bar for every byte sent), each member's answer
 * and how many it registered, then the total.
 */
async function registerOnRing(ctx: CliContext, g: GlobalOptions, route: Route, ring: ControllerRing, bytes: Buffer, flags: RegisterFlags): Promise<void> {
  const shares = copiesByOwner(route, flags.name, flags.copies);
  const bar = progressBar(`uploading ${formatBytes(bytes.byteLength)} to ${shares.length} controllers`, bytes.byteLength * shares.length, interactive(ctx.io.stderr, g));
  const sent = new Map<string, number>();
  const outcomes = await onEach(
    shares.map((s) => s.member),
    (m) =>
      withAdmin(at(g, m), (a) =>
        a.register(bytes, {
          ...registerOptions(flags),
          onProgress: (n) => {
            sent.set(m.name, n);
            bar.update([...sent.values()].reduce((x, y) => x + y, 0));
          },
        }),
      ),
  ).finally(() => bar.stop());
  const registered = outcomes.reduce((n, o) => n + ('value' in o ? o.value.models.length : 0), 0);
  writeEach(ctx, g, ring, 'registered', outcomes, (res) => `${res.models.length} of the ${flags.copies} copies\n${renderRegistered(res)}`, {
    extra: { copies: flags.copies, registered },
    footer: `${registered} of ${flags.copies} copies registered, on ${outcomes.length - outcomes.filter((o) => 'error' in o).length} of ${outcomes.length} controllers`,
  });
}

function print(ctx: CliContext, g: GlobalOptions, value: unknown, human: () => string): void {
  ctx.io.stdout.write((g.json ? JSON.stringify(value, null, 2) : human()) + '\n');
  ctx.exitCode = 0;
}

export function registerModels(program: Command, ctx: CliContext): void {
  const models = program.command('models').description('register, list, describe and remove models on a running cluster');

  models
    .command('register')
    .description('upload an .onnx file; it is validated, profiled, put on the workers, then served')
    .argument('<file>', 'the .onnx model file')
    .requiredOption('--name <name>', 'model name (letters, digits, _ . -)')
    .addOption(new Option('--version <v>', 'version number (default: the next one)').argParser(integerIn(1, 999_999_999)))
    .addOption(new Option('--max-batch <b>', 'largest batch the scheduler may form (default 1)').argParser(integerIn(1, 1024)))
    .addOption(new Option('--batch-sizes <list>', 'batch sizes to profile and use, e.g. 1,2,4,8').argParser(parseIntList))
    .addOption(new Option('--slo-ms <ms>', 'default SLO for requests that carry none (default 100)').argParser(parseMs))
    .addOption(new Option('--threads <n>', "intra-op threads of its sessions, capped by each worker's --threads (default: the count `punctual profile` finds best, else the worker's)").argParser(integerIn(1, MAX_MODEL_THREADS)))
    .addOption(new Option('--input-shape <shape>', "per-item input shape without the batch axis, e.g. 3,48,192 (or x:3,48,192); needed when the model's dims are dynamic").argParser(parseInputShape))
    .addOption(
      new Option('--copies <n>', `register n independent instances NAME-0 … NAME-(n-1), sharing one profile and one file (at most ${MAX_COPIES})`)
        .argParser(integerIn(1, MAX_COPIES))
        .default(1),
    )
    .action(async (file: string, flags: RegisterFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const full = path.resolve(file);
      if (!fs.existsSync(full)) throw new InvalidArgumentError(`${file}: no such file`);
      const bytes = fs.readFileSync(full);
      const route = await learnRoute(g);
      if (route.ring && flags.copies > 1) return registerOnRing(ctx, g, route, route.ring, bytes, flags);
      const owner = route.owner(flags.name);
      const bar = progressBar(`uploading ${formatBytes(bytes.byteLength)}`, bytes.byteLength, interactive(ctx.io.stderr, g));
      const res = await withAdmin(at(g, owner), (a) =>
        a.register(bytes, { ...registerOptions(flags), onProgress: (sent) => bar.update(sent) }).finally(() => bar.stop()),
      );
      print(ctx, g, res, () => (route.ring ? `on controller ${memberLabel(owner)}\n` : '') + renderRegistered(res));
    });

  models
    .command('list')
    .description('registered models: versions, inputs, batching, where loaded, counters')
    .addOption(new Option('--limit <n>', 'one page of at most n models (in key order) instead of every one').argParser(integerIn(1, 100_000)))
    .option('--page-token <token>', 'with --limit: start after this model, the token the previous page ended with')
    .option('--name <name>', "only this name's versions")
    .option('--brief', 'leave the estimates out of --json (the table never shows them)')
    .action(async (flags: { limit?: number; pageToken?: string; name?: string; brief?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      // The table shows no estimates: it asks for none.
      const brief = flags.brief === true || !g.json;
      const name = flags.name ? { name: flags.name } : {};
      const route = await learnRoute(g);
      const pageOf = (target: GlobalOptions) =>
        withAdmin(target, (a) => a.listModelsPage({ pageSize: flags.limit, brief, ...name, ...(flags.pageToken ? { pageToken: flags.pageToken } : {}) }));
      // One name's versions are its owner's; every model, each member's.
      if (!route.ring || flags.name) {
        const target = at(g, flags.name ? route.owner(flags.name) : route.members[0]!);
        if (flags.limit === undefined) {
          const list = await withAdmin(target, (a) => a.listModels({ brief, ...name }));
          print(ctx, g, list, () => renderModelList(list));
          return;
        }
        const page = await pageOf(target);
        print(ctx, g, page, () => renderModelPage(page));
        return;
      }
      if (flags.limit === undefined) {
        const lists = await onEach(route.members, (m) => withAdmin(at(g, m), (a) => a.listModels({ brief })));
        writeEach(ctx, g, route.ring, 'models', lists, (list) => renderModelList(list));
        return;
      }
      // One --page-token for every member: each page that has more names the ring's next token.
      const { outcomes, next } = onRingToken(await onEach(route.members, (m) => pageOf(at(g, m))));
      writeEach(ctx, g, route.ring, 'page', outcomes, (page) => renderModelPage(page), { extra: next ? { nextPageToken: next } : {} });
    });

  models
    .command('describe')
    .description("one model's versions with config, profile, where it is loaded and counters")
    .argument('<name>', 'model name')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const g = globalsOf(cmd);
      const d = await withAdmin(at(g, (await learnRoute(g)).owner(name)), (a) => a.describe(name));
      print(ctx, g, d, () => renderDescribe(d, interactive(ctx.io.stdout, g)));
    });

  models
    .command('unregister')
    .description('stop serving a model (its requests in flight finish first) and remove it from the repository')
    .argument('<name>', 'model name')
    .addOption(new Option('--version <v>', 'only this version (default: every version)').argParser(integerIn(1, 999_999_999)))
    .action(async (name: string, flags: { version?: number }, cmd: Command) => {
      const g = globalsOf(cmd);
      const removed = await withAdmin(at(g, (await learnRoute(g)).owner(name)), (a) => a.unregister(name, flags.version ?? 0));
      print(ctx, g, { removed }, () => `removed ${removed.join(', ')}`);
    });
}
