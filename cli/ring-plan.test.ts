import { describe, expect, it } from 'vitest';
import { ControllerRing, type RingMember } from '../common/ring.js';
import { planRebalance, ringCensus, type HeldModel, type MemberListing, type RebalancePlan } from './ring-plan.js';

const c0: RingMember = { name: 'c0', address: '127.0.0.1:7000' };
const c1: RingMember = { name: 'c1', address: '127.0.0.1:7001' };
const c2: RingMember = { name: 'c2', address: '127.0.0.1:7002' };
const two = new ControllerRing([c0, c1]);
const three = new ControllerRing([c0, c1, c2]);

const model = (name: string, version = 1, sizeBytes = 100): HeldModel => ({ name, version, sizeBytes });
const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `m-${i}`);
/** The first of `names(n)` that `ring` places on `member`. */
const ownedBy = (ring: ControllerRing, member: RingMember, skip = 0): string => names(200).filter((n) => ring.owner(n).name === member.name)[skip]!;

/** The listings after every move and drop of `plan` succeeded. */
function apply(listings: MemberListing[], plan: RebalancePlan): MemberListing[] {
  const out = new Map(listings.map((l) => [l.member.name, 'error' in l ? l : { member: l.member, models: [...l.models] }]));
  for (const s of plan.steps) {
    const from = out.get(s.from.name) as { models: HeldModel[] };
    const to = out.get(s.to.name) as { models: HeldModel[] };
    const m = from.models.find((x) => x.name === s.name && x.version === s.version)!;
    if (s.type === 'move') to.models.push(m);
    if ((s.type === 'move' && s.unregister) || s.type === 'drop') from.models.splice(from.models.indexOf(m), 1);
  }
  return [...out.values()];
}

describe('planRebalance', () => {
  it('moves nothing in a ring of one: every model is on its owner', () => {
    const plan = planRebalance(new ControllerRing([c0]), [{ member: c0, models: names(10).map((n) => model(n)) }]);
    expect(plan).toEqual({ steps: [], placed: 10, unread: [] });
  });

  it('moves to a new member exactly the names the ring gives it, from the member holding them, and then removes them there', () => {
    const held = names(40).map((n) => model(n, 1, n.length));
    const plan = planRebalance(two, [
      { member: c0, models: held },
      { member: c1, models: [] },
    ]);
    const toC1 = names(40).filter((n) => two.owner(n).name === 'c1');
    expect(toC1.length).toBeGreaterThan(5);
    expect(toC1.length).toBeLessThan(35);
    expect(plan.steps.map((s) => s.name).sort()).toEqual([...toC1].sort());
    for (const s of plan.steps) expect(s).toMatchObject({ type: 'move', from: c0, to: c1, unregister: true, bytes: s.name.length });
    expect(plan.placed).toBe(40 - toC1.length);
  });

  it('is idempotent: once carried out, a second plan has nothing to do', () => {
    const listings: MemberListing[] = [
      { member: c0, models: names(30).map((n) => model(n)) },
      { member: c1, models: [model(ownedBy(two, c0, 0), 2)] },
      { member: c2, models: names(5).map((n) => model(n, 3)) },
    ];
    const plan = planRebalance(three, listings);
    expect(plan.steps.length).toBeGreaterThan(0);
    const after = apply(listings, plan);
    expect(planRebalance(three, after)).toEqual({ steps: [], placed: 36, unread: [] });
    for (const l of after) if (!('error' in l)) for (const m of l.models) expect(three.owner(m.name)).toEqual(l.member);
  });

  it('with keep, copies without removing; then nothing, and without keep the left copies are dropped', () => {
    const name = ownedBy(two, c1);
    const listings: MemberListing[] = [
      { member: c0, models: [model(name)] },
      { member: c1, models: [] },
    ];
    const plan = planRebalance(two, listings, { keep: true });
    expect(plan.steps).toEqual([{ type: 'move', name, version: 1, from: c0, to: c1, bytes: 100, unregister: false }]);
    const after = apply(listings, plan);
    expect(planRebalance(two, after, { keep: true }).steps).toEqual([]);
    expect(planRebalance(two, after).steps).toEqual([{ type: 'drop', name, version: 1, from: c0, to: c1, bytes: 100 }]);
  });

  it('moves only the versions the owner lacks, oldest first', () => {
    const name = ownedBy(two, c1);
    const plan = planRebalance(two, [
      { member: c0, models: [model(name, 3), model(name, 1), model(name, 2)] },
      { member: c1, models: [model(name, 2)] },
    ]);
    expect(plan.steps.map((s) => [s.type, s.version])).toEqual([
      ['move', 1],
      ['move', 3],
      ['drop', 2],
    ]);
  });

  it('reports a version the owner holds with other bytes as a conflict, and does nothing about it', () => {
    const name = ownedBy(two, c1);
    const plan = planRebalance(two, [
      { member: c0, models: [model(name, 1, 100)] },
      { member: c1, models: [model(name, 1, 200)] },
    ]);
    expect(plan.steps).toEqual([{ type: 'conflict', name, version: 1, from: c0, to: c1, bytes: 100, ownerBytes: 200 }]);
  });

  it('of several members holding a version, moves it from one and drops it at the others, after the move', () => {
    const name = ownedBy(three, c1);
    const plan = planRebalance(three, [
      { member: c2, models: [model(name)] },
      { member: c0, models: [model(name)] },
      { member: c1, models: [] },
    ]);
    expect(plan.steps.map((s) => [s.type, s.from.name])).toEqual([
      ['move', 'c0'],
      ['drop', 'c2'],
    ]);
  });

  it("blocks what an unread owner owns, and plans nothing for an unread holder's models", () => {
    const toC1 = ownedBy(three, c1);
    const toC2 = ownedBy(three, c2);
    const plan = planRebalance(three, [
      { member: c0, models: [model(toC1), model(toC2)] },
      { member: c1, error: 'UNAVAILABLE: connection refused' },
      { member: c2, models: [] },
    ]);
    expect(plan.unread).toEqual([{ member: c1, error: 'UNAVAILABLE: connection refused' }]);
    expect(plan.steps.map((s) => [s.type, s.name])).toEqual([
      ['move', toC2],
      ['blocked', toC1],
    ]);
    expect(plan.steps[1]).toMatchObject({ reason: expect.stringContaining('c1 could not be read: UNAVAILABLE') });
  });
});

describe('ringCensus', () => {
  it('counts what each member holds and how much of it another owns', () => {
    const mine = ownedBy(two, c0);
    const theirs = [ownedBy(two, c1, 0), ownedBy(two, c1, 1)];
    expect(
      ringCensus(two, [
        { member: c0, models: [model(mine), model(mine, 2), ...theirs.map((n) => model(n))] },
        { member: c1, error: 'down' },
      ]),
    ).toEqual([
      { member: c0, held: 4, notOwned: 2 },
      { member: c1, error: 'down' },
    ]);
  });
});
