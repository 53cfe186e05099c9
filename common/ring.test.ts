import { describe, expect, it } from 'vitest';
import { ControllerRing, parseRing } from './ring.js';

describe('parseRing', () => {
  it('reads name=address members and bare addresses', () => {
    expect(parseRing('c0=10.0.0.1:7000, 10.0.0.2:7000')).toEqual([
      { name: 'c0', address: '10.0.0.1:7000' },
      { name: '10.0.0.2:7000', address: '10.0.0.2:7000' },
    ]);
    expect(parseRing('[::1]:7001')).toEqual([{ name: '[::1]:7001', address: '[::1]:7001' }]);
  });

  it('refuses what is not a ring, naming the member', () => {
    expect(() => parseRing('')).toThrow(/at least one/);
    expect(() => parseRing('c0=nowhere')).toThrow(/"c0".*not host:port/);
    expect(() => parseRing('c0=a:1,c0=b:2')).toThrow(/named twice/);
    expect(() => parseRing('c0=a:70000')).toThrow(/out of range/);
    expect(() => parseRing('bad name=a:1')).toThrow(/a name is letters/);
    expect(() => parseRing(Array.from({ length: 65 }, (_, i) => `c${i}=a:1`).join(','))).toThrow(/at most 64/);
  });
});

describe('ControllerRing', () => {
  const names = Array.from({ length: 3000 }, (_, i) => `model-${i}`);

  it('places every model on one member, spread about evenly', () => {
    const ring = new ControllerRing(parseRing('c0=h:1,c1=h:2,c2=h:3'));
    const counts = new Map<string, number>();
    for (const n of names) counts.set(ring.owner(n).name, (counts.get(ring.owner(n).name) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['c0', 'c1', 'c2']);
    for (const c of counts.values()) expect(c).toBeGreaterThan(names.length / 3 / 1.5);
    expect(ring.owner('det')).toBe(ring.owner('det'));
  });

  it('adding a member moves only its share of the models, none between the others', () => {
    const two = new ControllerRing(parseRing('c0=h:1,c1=h:2'));
    const three = new ControllerRing(parseRing('c0=h:1,c1=h:2,c2=h:3'));
    let moved = 0;
    for (const n of names) {
      const before = two.owner(n).name;
      const after = three.owner(n).name;
      if (before !== after) {
        moved++;
        expect(after).toBe('c2');
      }
    }
    expect(moved / names.length).toBeGreaterThan(0.2);
    expect(moved / names.length).toBeLessThan(0.45);
  });

  it('the version names the membership, not its order', () => {
    const a = new ControllerRing(parseRing('c0=h:1,c1=h:2'));
    expect(new ControllerRing(parseRing('c1=h:2,c0=h:1')).version).toBe(a.version);
    expect(new ControllerRing(parseRing('c0=h:1,c1=h:3')).version).not.toBe(a.version);
    expect(new ControllerRing(parseRing('c0=h:1')).owner('anything').name).toBe('c0');
  });
});
