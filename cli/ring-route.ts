// Where a CLI command sends its calls when --controller is one member of a
// ring of controllers (punctual controller --ring; common/ring.ts): the ring
// is learnt from --controller (Admin.GetRing), a call about one model goes to
// the model's owner, and a call about the whole cluster (models list, status)
// to every member, its answer labelled by member. A controller in no ring
// (GetRing answers no members), one from before rings, or one that does not
// answer GetRing is --controller alone: the command then runs as it always
// did, and fails, if it fails, as it always did.
//
// The member --controller reached is dialled where --controller says, not at
// its address in the ring: through a port-forward or a load balancer, its
// ring address (a pod's name) may not be reachable from here.
import { PunctualClient } from '../client/client.js';
import { ControllerRing, type RingMember } from '../common/ring.js';
import { clientOptions, interactive, type CliContext, type GlobalOptions } from './context.js';
import { describeError, errorLine, painter, type ErrorReport } from './format.js';

/** The ring --controller belongs to, or --controller alone. */
export interface Route {
  /** Undefined: --controller is in no ring. */
  readonly ring: ControllerRing | undefined;
  /** The ring's members, or --controller alone (named by its address). */
  readonly members: readonly RingMember[];
  /** The member that owns `model` (--controller when alone). */
  owner(model: string): RingMember;
  /** The name of the member that answered (--controller), when it gave one. */
  readonly self?: string;
}

/** The route of a controller alone. */
export function aloneRoute(address: string): Route {
  const self: RingMember = { name: address, address };
  return { ring: undefined, members: [self], owner: () => self };
}

/**
 * The route of a ring (a ring of one is a ring: its member's name is shown);
 * `self`, the member that answered, is dialled at `self.address`.
 */
export function ringRoute(ring: ControllerRing, self?: RingMember): Route {
  const dialled = (m: RingMember): RingMember => (self && m.name === self.name ? { name: m.name, address: self.address } : m);
  return { ring, members: ring.members.map(dialled), owner: (model) => dialled(ring.owner(model)), ...(self ? { self: self.name } : {}) };
}

/**
 * Asks --controller for its ring: one without members is --controller alone;
 * a failed or malformed answer is thrown (`punctual ring`, which must not
 * take a controller it cannot read for one alone).
 */
export async function readRoute(g: GlobalOptions, via?: PunctualClient): Promise<Route> {
  const client = via ?? new PunctualClient(g.controller, clientOptions(g));
  try {
    const r = await client.getRing();
    return r.members.length > 0 ? ringRoute(new ControllerRing(r.members), r.self ? { name: r.self, address: g.controller } : undefined) : aloneRoute(g.controller);
  } finally {
    if (!via) client.close();
  }
}

/**
 * readRoute, any failure taken as --controller alone (see the file's head);
 * `via`, a client of --controller the caller goes on using (and closes).
 */
export function learnRoute(g: GlobalOptions, via?: PunctualClient): Promise<Route> {
  return readRoute(g, via).catch(() => aloneRoute(g.controller));
}

/** The global options with --controller set to `member`. */
export function at(g: GlobalOptions, member: RingMember): GlobalOptions {
  return { ...g, controller: member.address };
}

/** `--copies n` of `name` (NAME-0 … NAME-(n-1)) by the member that owns each, in ring order; members owning none are left out. */
export function copiesByOwner(route: Route, name: string, copies: number): { member: RingMember; names: string[] }[] {
  const names = copies === 1 ? [name] : Array.from({ length: copies }, (_, i) => `${name}-${i}`);
  return route.members.map((member) => ({ member, names: names.filter((n) => route.owner(n).name === member.name) })).filter((s) => s.names.length > 0);
}

/** One member's answer, or its failure. */
export type MemberOutcome<T> = { controller: RingMember; value: T } | { controller: RingMember; error: ErrorReport };

/** Runs `call` on each member at once; one member's failure is its outcome, not the others'. */
export async function onEach<T>(members: readonly RingMember[], call: (member: RingMember) => Promise<T>): Promise<MemberOutcome<T>[]> {
  return Promise.all(
    members.map(async (controller) => {
      try {
        return { controller, value: await call(controller) };
      } catch (err) {
        return { controller, error: describeError(err) };
      }
    }),
  );
}

/**
 * The page token a ring's pages go on from (`--page-token` goes to every
 * member): the least of the members' next tokens, keys compared as strings
 * as each controller orders them, so that no member's models are skipped (a
 * member further on shows a few again); '' when every member is done.
 */
export function ringNextToken(tokens: readonly string[]): string {
  return tokens.reduce((least, t) => (t !== '' && (least === '' || t < least) ? t : least), '');
}

/** The members' pages, each that has more naming the ring's next token instead of its own, and that token. */
export function onRingToken<T extends { nextPageToken?: string }>(outcomes: readonly MemberOutcome<T>[]): { outcomes: MemberOutcome<T>[]; next: string } {
  const next = ringNextToken(outcomes.flatMap((o) => ('value' in o ? [o.value.nextPageToken ?? ''] : [])));
  return { next, outcomes: outcomes.map((o) => ('value' in o && o.value.nextPageToken ? { ...o, value: { ...o.value, nextPageToken: next } } : o)) };
}

/** 0 when every member answered, else 1 (a failed operation). */
export function exitCodeOf(outcomes: readonly MemberOutcome<unknown>[]): number {
  return outcomes.some((o) => 'error' in o) ? 1 : 0;
}

/** "c0 at 127.0.0.1:7001" (the address alone when it is the name). */
export function memberLabel(m: RingMember): string {
  return m.name === m.address ? m.address : `${m.name} at ${m.address}`;
}

/**
 * The --json form of a ring-wide answer: the ring, then each member with its
 * answer under `key` (or its `error`, as the CLI prints any failure).
 */
export function ringJson<T>(ring: ControllerRing, key: string, outcomes: readonly MemberOutcome<T>[], extra: Record<string, unknown> = {}): unknown {
  return {
    ring: { version: ring.version, members: ring.members },
    ...extra,
    controllers: outcomes.map((o) => ('error' in o ? { controller: o.controller, error: o.error } : { controller: o.controller, [key]: o.value })),
  };
}

/** The readable form: each member's heading (unless `headed` is false: the body names it) and answer, or its error line. */
export function renderEach<T>(outcomes: readonly MemberOutcome<T>[], body: (value: T, member: RingMember) => string, color = false, headed = true): string {
  const paint = painter(color);
  return outcomes
    .map((o) => {
      const heading = `${paint('bold', 'controller')} ${memberLabel(o.controller)}`;
      if ('error' in o) return `${heading}\n${errorLine(o.error, paint)}`;
      return headed ? `${heading}\n${body(o.value, o.controller)}` : body(o.value, o.controller);
    })
    .join('\n\n');
}

/**
 * Writes a ring-wide answer (ringJson with --json, else renderEach and the
 * footer) and sets the exit status: 1 when a member failed.
 */
export function writeEach<T>(
  ctx: CliContext,
  g: GlobalOptions,
  ring: ControllerRing,
  key: string,
  outcomes: readonly MemberOutcome<T>[],
  body: (value: T, member: RingMember) => string,
  o: { extra?: Record<string, unknown>; footer?: string; headed?: boolean } = {},
): void {
  const text = g.json
    ? JSON.stringify(ringJson(ring, key, outcomes, o.extra), null, 2)
    : renderEach(outcomes, body, interactive(ctx.io.stdout, g), o.headed ?? true) + (o.footer ? `\n\n${o.footer}` : '');
  ctx.io.stdout.write(text + '\n');
  ctx.exitCode = exitCodeOf(outcomes);
}
