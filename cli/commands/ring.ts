// `punctual ring show|rebalance`: the ring of controllers a controller
// belongs to (--ring), what each member holds, and handing models to their
// owners after the ring changed.
//
// When a member is added (every controller restarted with the new --ring),
// the ring gives it about 1/n of the names, but their files stay in the old
// owner's repository: the old owner keeps serving what it holds, while
// clients route to the new owner, which does not hold it. `ring rebalance`
// reads the ring from any member (--controller), lists every member's models
// (cli/ring-plan.ts decides), and for each version held off its owner
// exports it from the holder (Admin.ExportModel), registers it at the owner
// (RegisterModel: same name and version; the owner validates, profiles and
// serves it as any registration), then, unless --keep, unregisters it at the
// holder once the owner has it. A version the owner holds already is only
// removed from the holder, once both hold the same bytes (SHA-256). Run again,
// it finds nothing to do. It reads the ring's members only: a controller
// taken out of the ring is not read, so its models are not moved (not handled yet).
//
// An operator step, like Cassandra's `nodetool cleanup` or `redis-cli
// --cluster rebalance`, not something the controllers do by themselves when
// they start: a ring is changed by restarting its members one by one, so for
// a while members disagree about it (this refuses to run until they agree);
// moving is a registration at the owner, which profiles the model on its
// machine and puts its bytes on its workers, load the operator chooses when
// to take; and the holder's copy is the only one until the owner has it, so
// removing it is a step to take on purpose (--keep leaves it, --dry-run shows
// the plan first).
import { Option, type Command } from 'commander';
import { PunctualAdmin } from '../../client/admin.js';
import { PunctualClient } from '../../client/client.js';
import { PunctualClientError } from '../../client/errors.js';
import { Status } from '../../common/errors.js';
import { ControllerRing, type RingMember } from '../../common/ring.js';
import { clientOptions, globalsOf, interactive, type CliContext, type GlobalOptions } from '../context.js';
import { describeError, formatBytes, renderTable } from '../format.js';
import { progressBar } from '../progress.js';
import { planRebalance, ringCensus, type MemberListing, type RingStep } from '../ring-plan.js';
import { readRoute, type Route } from '../ring-route.js';

/** What one member answered: the ring it knows (its version, its own name) and its models. */
interface MemberRead {
  listing: MemberListing;
  ringVersion?: string;
  self?: string;
}

const message = (err: unknown): string => {
  const e = describeError(err);
  return `${e.status}: ${e.message}`;
};

/** One admin client per member, closed together. */
class Admins {
  private readonly byName = new Map<string, PunctualAdmin>();
  constructor(private readonly g: GlobalOptions) {}
  of(m: RingMember): PunctualAdmin {
    let a = this.byName.get(m.name);
    if (!a) this.byName.set(m.name, (a = new PunctualAdmin(m.address, clientOptions(this.g))));
    return a;
  }
  close(): void {
    for (const a of this.byName.values()) a.close();
  }
}

async function ringAt(g: GlobalOptions, address: string): Promise<{ members: RingMember[]; version: string; self: string }> {
  const client = new PunctualClient(address, clientOptions(g));
  try {
    return await client.getRing();
  } finally {
    client.close();
  }
}

/**
 * Every member's ring and models (brief, a page at a time), at once; a member
 * that fails is an error entry. Members as the route dials them (the one
 * --controller reached at --controller's address), which `admins` keeps.
 */
async function readMembers(g: GlobalOptions, route: Route, admins: Admins): Promise<MemberRead[]> {
  return Promise.all(
    route.members.map(async (member): Promise<MemberRead> => {
      try {
        const [known, models] = await Promise.all([ringAt(g, member.address), admins.of(member).listModels({ brief: true })]);
        return {
          listing: { member, models: models.map((m) => ({ name: m.name, version: m.version, sizeBytes: m.sizeBytes })) },
          ringVersion: known.version,
          self: known.self,
        };
      } catch (err) {
        return { listing: { member, error: message(err) } };
      }
    }),
  );
}

/** Members that answered with another ring (or another name for themselves): "c1 (ring 0123…)". */
function disagreeing(ring: ControllerRing, reads: readonly MemberRead[]): string[] {
  return reads
    .filter((r) => r.ringVersion !== undefined && (r.ringVersion !== ring.version || r.self !== r.listing.member.name))
    .map((r) => `${r.listing.member.name} (${r.ringVersion === '' ? 'not in a ring' : `ring ${r.ringVersion}, calls itself ${r.self}`})`);
}

function write(ctx: CliContext, g: GlobalOptions, json: unknown, text: () => string): void {
  ctx.io.stdout.write((g.json ? JSON.stringify(json, null, 2) : text()) + '\n');
}

/** A member in `ring show`: its share, or why it could not be read. */
interface ShownMember {
  name: string;
  address: string;
  models?: number;
  notOwned?: number;
  /** The version of the ring it knows ('' = not in a ring). */
  ringVersion?: string;
  /** It knows the same ring, and calls itself by its name in it. */
  sameRing?: boolean;
  error?: string;
}

const ALONE = 'this controller is not in a ring (no --ring): it owns every model';

async function show(ctx: CliContext, g: GlobalOptions): Promise<void> {
  const route = await readRoute(g);
  const { ring } = route;
  if (!ring) return write(ctx, g, { members: [], version: '', self: '' }, () => ALONE);
  const self = route.self ?? '';
  const admins = new Admins(g);
  const reads = await readMembers(g, route, admins).finally(() => admins.close());
  const census = ringCensus(ring, reads.map((r) => r.listing));
  const members = census.map((c, i): ShownMember => {
    const r = reads[i]!;
    if (c.error !== undefined) return { name: c.member.name, address: c.member.address, error: c.error };
    const sameRing = r.ringVersion === ring.version && r.self === c.member.name;
    return { name: c.member.name, address: c.member.address, models: c.held!, notOwned: c.notOwned!, ringVersion: r.ringVersion!, sameRing };
  });
  if (members.some((m) => 'error' in m)) ctx.exitCode = 1;
  const misplaced = members.reduce((n, m) => n + (m.notOwned ?? 0), 0);
  write(ctx, g, { version: ring.version, self, members }, () => {
    const rows = members.map((m) => [
      m.name + (m.name === self ? ' (this one)' : ''),
      m.address,
      m.error !== undefined ? '-' : String(m.models),
      m.error !== undefined ? '-' : String(m.notOwned),
      m.error !== undefined ? `unreachable: ${m.error}` : m.sameRing ? 'same' : `other: ${m.ringVersion || 'not in a ring'}`,
    ]);
    const table = renderTable(['CONTROLLER', 'ADDRESS', 'MODELS', 'NOT OWNED', 'RING'], rows);
    const advice = misplaced > 0 ? `${misplaced} model versions are held by a controller that does not own them: punctual ring rebalance moves them to their owners` : 'every model is on its owner';
    return `ring ${ring.version} of ${ring.members.length} controllers\n${table}\n${advice}`;
  });
}

interface RebalanceFlags {
  dryRun?: boolean;
  keep?: boolean;
}

type StepStatus = 'planned' | 'moved' | 'removed' | 'failed';

interface StepReport {
  action: RingStep['type'];
  model: string;
  name: string;
  version: number;
  from: string;
  to: string;
  bytes: number;
  status: StepStatus;
  error?: string;
}

/** The SHA-256 of `name@version` at a member, or undefined when it does not hold it. */
async function sha256At(admin: PunctualAdmin, name: string, version: number): Promise<string | undefined> {
  const d = await admin.describe(name).catch((err: unknown) => {
    if (err instanceof PunctualClientError && err.code === Status.NOT_FOUND) return undefined;
    throw err;
  });
  return d?.versions.find((v) => v.info?.version === version)?.sha256;
}

/** Carries out one move or drop; what it did, or throws. */
async function carryOut(step: RingStep, admins: Admins, onBytes: (n: number) => void): Promise<StepStatus> {
  const from = admins.of(step.from);
  const to = admins.of(step.to);
  if (step.type === 'move') {
    const exported = await from.exportModel(step.name, step.version);
    await to.registerStream(exported.meta, exported.chunks, { onProgress: (sent) => onBytes(sent) });
    if (!step.unregister) return 'moved';
    try {
      await from.unregister(step.name, step.version);
    } catch (err) {
      throw new Error(`registered at ${step.to.name}, but not removed from ${step.from.name} (run again to remove it): ${message(err)}`);
    }
    return 'moved';
  }
  if (step.type === 'drop') {
    const [mine, theirs] = await Promise.all([sha256At(from, step.name, step.version), sha256At(to, step.name, step.version)]);
    if (mine === undefined) return 'removed'; // gone already
    if (theirs !== mine) throw new Error(theirs === undefined ? `${step.to.name} does not hold it` : `${step.to.name} holds other bytes under this version (SHA-256 ${theirs.slice(0, 12)}…, here ${mine.slice(0, 12)}…)`);
    await from.unregister(step.name, step.version);
    return 'removed';
  }
  throw new Error(step.type === 'conflict' ? `${step.to.name} holds this version with other bytes (${step.ownerBytes} bytes, here ${step.bytes})` : step.reason);
}

function stepLine(r: StepReport): string {
  const route = `${r.from} → ${r.to}`;
  switch (r.status) {
    case 'planned':
      return r.action === 'move' ? `would move    ${r.model}  ${route}  ${formatBytes(r.bytes)}` : `would remove  ${r.model}  from ${r.from} (${r.to} holds it)`;
    case 'moved':
      return `moved    ${r.model}  ${route}  ${formatBytes(r.bytes)}`;
    case 'removed':
      return `removed  ${r.model}  from ${r.from} (${r.to} holds it)`;
    case 'failed':
      return `failed   ${r.model}  ${route}: ${r.error}`;
  }
}

async function rebalance(ctx: CliContext, g: GlobalOptions, flags: RebalanceFlags): Promise<void> {
  const dryRun = flags.dryRun === true;
  const keep = flags.keep === true;
  const route = await readRoute(g);
  const { ring } = route;
  if (!ring) return write(ctx, g, { ring: null, dryRun, keep, steps: [], moved: 0, removed: 0, failed: 0, placed: 0, unread: [] }, () => `${ALONE}: nothing to move`);
  const admins = new Admins(g);
  try {
    const reads = await readMembers(g, route, admins);
    const others = disagreeing(ring, reads);
    if (others.length > 0) {
      throw new PunctualClientError(
        Status.FAILED_PRECONDITION,
        `the members do not agree on the ring (${ring.version} at ${g.controller}): ${others.join(', ')}; restart every member with the same --ring, then rebalance`,
      );
    }
    const plan = planRebalance(ring, reads.map((r) => r.listing), { keep });
    const reports: StepReport[] = [];
    const todo = plan.steps.filter((s) => s.type === 'move' || s.type === 'drop');
    const totalBytes = todo.reduce((n, s) => n + (s.type === 'move' ? s.bytes : 0), 0);
    const bar = progressBar(`moving ${todo.length} models`, Math.max(1, totalBytes), !dryRun && todo.length > 0 && interactive(ctx.io.stderr, g));
    let doneBytes = 0;
    try {
      for (const step of plan.steps) {
        const report: StepReport = { action: step.type, model: `${step.name}@${step.version}`, name: step.name, version: step.version, from: step.from.name, to: step.to.name, bytes: step.bytes, status: 'planned' };
        if (!dryRun || (step.type !== 'move' && step.type !== 'drop')) {
          try {
            report.status = await carryOut(step, admins, (n) => bar.update(doneBytes + n));
          } catch (err) {
            report.status = 'failed';
            report.error = err instanceof PunctualClientError ? message(err) : err instanceof Error ? err.message : String(err);
          }
        }
        if (step.type === 'move') doneBytes += step.bytes;
        bar.update(doneBytes);
        reports.push(report);
      }
    } finally {
      bar.stop();
    }
    const count = (s: StepStatus): number => reports.filter((r) => r.status === s).length;
    const moved = reports.filter((r) => r.status === 'moved');
    const failed = count('failed') + plan.unread.length;
    if (failed > 0) ctx.exitCode = 1;
    const unread = plan.unread.map((u) => ({ controller: u.member.name, address: u.member.address, error: u.error }));
    const doc = { ring: { version: ring.version, members: ring.members }, dryRun, keep, steps: reports, moved: moved.length, removed: count('removed'), failed: count('failed'), placed: plan.placed, unread };
    write(ctx, g, doc, () => {
      const lines = reports.map(stepLine);
      for (const u of unread) lines.push(`unread   ${u.controller} (${u.address}): its models could not be listed: ${u.error}`);
      const bytes = moved.reduce((n, r) => n + r.bytes, 0);
      const summary = dryRun
        ? `${count('planned')} steps planned (dry run: nothing moved), ${count('failed')} failed, ${plan.placed} model versions on their owner`
        : reports.length === 0 && unread.length === 0
          ? `nothing to move: all ${plan.placed} model versions are on their owner`
          : `${moved.length} moved (${formatBytes(bytes)}), ${count('removed')} removed, ${count('failed')} failed, ${plan.placed} on their owner`;
      return [...lines, summary].join('\n');
    });
  } finally {
    admins.close();
  }
}

export function registerRing(program: Command, ctx: CliContext): void {
  const ring = program.command('ring').description('the ring of controllers (--ring): show it, move models to their owners after it changed');

  ring
    .command('show')
    .description("the ring's members and version, and per member the models it holds and how many of them it does not own")
    .action(async (_flags: object, cmd: Command) => {
      ctx.exitCode = 0;
      await show(ctx, globalsOf(cmd));
    });

  ring
    .command('rebalance')
    .description("after the ring changed: move each model held by a member that does not own it to its owner (export, register there, then unregister where it was)")
    .addOption(new Option('--dry-run', 'show what would move, move nothing'))
    .addOption(new Option('--keep', "leave each moved model's copy where it was (no unregister there)"))
    .action(async (flags: RebalanceFlags, cmd: Command) => {
      ctx.exitCode = 0;
      await rebalance(ctx, globalsOf(cmd), flags);
    });
}
