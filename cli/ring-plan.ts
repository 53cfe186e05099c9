// What `punctual ring rebalance` does, decided from the ring and what each
// member holds, with no call made: which model versions go to their owner
// (exported from the member holding them, registered at the owner), which
// copies a member may drop because the owner already holds them, and which
// cannot be decided (a member that did not answer). Pure, so that the cases
// are tested without controllers (cli/ring-plan.test.ts); the command
// (cli/commands/ring.ts) lists the members, calls this and carries it out.
import type { ControllerRing, RingMember } from '../common/ring.js';

/** One registered version, as a member's ListModels names it. */
export interface HeldModel {
  name: string;
  version: number;
  /** Its file's size. */
  sizeBytes: number;
}

/** A member's models, or why they could not be read. */
export type MemberListing = { member: RingMember; models: readonly HeldModel[] } | { member: RingMember; error: string };

interface StepBase {
  name: string;
  version: number;
  /** The member holding it, which does not own it. */
  from: RingMember;
  /** Its owner. */
  to: RingMember;
  bytes: number;
}

/**
 * One thing to do about a version held off its owner:
 * - move: the owner lacks it: export it from `from`, register it at `to`,
 *   then (`unregister`, unless --keep) remove it from `from`;
 * - drop: the owner holds it already (a run with --keep, an interrupted one,
 *   or another holder's move planned before this one): remove it from `from`
 *   once the owner's copy is checked to be the same bytes;
 * - conflict: the owner holds that version with other bytes (a size that
 *   differs): nothing is done, it is reported;
 * - blocked: the owner's models could not be read, so it is not known whether
 *   it lacks it: nothing is done, it is reported.
 */
export type RingStep =
  | (StepBase & { type: 'move'; unregister: boolean })
  | (StepBase & { type: 'drop' })
  | (StepBase & { type: 'conflict'; ownerBytes: number })
  | (StepBase & { type: 'blocked'; reason: string });

export interface RebalancePlan {
  /** Moves first (by name, then version, oldest first: the owner's newest stays the default), then drops, then what cannot be done. */
  steps: RingStep[];
  /** Versions already on their owner. */
  placed: number;
  /** Members whose models could not be read (what they hold is not planned). */
  unread: { member: RingMember; error: string }[];
}

export interface PlanOptions {
  /** Leave the holder's copy where it is once the owner has it: no unregister, no drop. @default false */
  keep?: boolean;
}

const keyOf = (name: string, version: number): string => `${name}@${version}`;

const byModel = (a: StepBase, b: StepBase): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version || (a.from.name < b.from.name ? -1 : a.from.name > b.from.name ? 1 : 0);

const ORDER: Record<RingStep['type'], number> = { move: 0, drop: 1, conflict: 2, blocked: 3 };

/** The steps that put every version listed in `listings` on its owner in `ring` (see RingStep). */
export function planRebalance(ring: ControllerRing, listings: readonly MemberListing[], o: PlanOptions = {}): RebalancePlan {
  const keep = o.keep === true;
  const held = new Map<string, Map<string, HeldModel>>();
  const unread: RebalancePlan['unread'] = [];
  for (const l of listings) {
    if ('error' in l) unread.push({ member: l.member, error: l.error });
    else held.set(l.member.name, new Map(l.models.map((m) => [keyOf(m.name, m.version), m])));
  }
  const unreadBy = new Map(unread.map((u) => [u.member.name, u.error]));
  /** Versions some move will put on their owner, by key. */
  const arriving = new Map<string, HeldModel>();
  const steps: RingStep[] = [];
  let placed = 0;
  // Holders in name order, so that which of several holders moves a version is fixed.
  const holders = listings.filter((l): l is Extract<MemberListing, { models: readonly HeldModel[] }> => !('error' in l));
  holders.sort((a, b) => (a.member.name < b.member.name ? -1 : a.member.name > b.member.name ? 1 : 0));
  for (const { member, models } of holders) {
    for (const m of models) {
      const owner = ring.owner(m.name);
      if (owner.name === member.name) {
        placed++;
        continue;
      }
      const base: StepBase = { name: m.name, version: m.version, from: member, to: owner, bytes: m.sizeBytes };
      const why = unreadBy.get(owner.name);
      const ownerModels = held.get(owner.name);
      if (why !== undefined || !ownerModels) {
        steps.push({ ...base, type: 'blocked', reason: `the models of its owner ${owner.name} could not be read: ${why ?? 'not listed'}` });
        continue;
      }
      const key = keyOf(m.name, m.version);
      const there = ownerModels.get(key) ?? arriving.get(key);
      if (!there) {
        arriving.set(key, m);
        steps.push({ ...base, type: 'move', unregister: !keep });
      } else if (there.sizeBytes !== m.sizeBytes) {
        steps.push({ ...base, type: 'conflict', ownerBytes: there.sizeBytes });
      } else if (!keep) {
        steps.push({ ...base, type: 'drop' });
      }
    }
  }
  steps.sort((a, b) => ORDER[a.type] - ORDER[b.type] || byModel(a, b));
  return { steps, placed, unread };
}

/** One member's share, for `punctual ring show`. */
export interface MemberCensus {
  member: RingMember;
  /** Versions it holds; undefined when its models could not be read. */
  held?: number;
  /** Of them, versions of names another member owns. */
  notOwned?: number;
  error?: string;
}

/** How many versions each member holds, and how many of them another member owns. */
export function ringCensus(ring: ControllerRing, listings: readonly MemberListing[]): MemberCensus[] {
  return listings.map((l) => {
    if ('error' in l) return { member: l.member, error: l.error };
    const notOwned = l.models.filter((m) => ring.owner(m.name).name !== l.member.name).length;
    return { member: l.member, held: l.models.length, notOwned };
  });
}
