// A ring's members as flags and the wire give them, checked (common/ring.ts
// places models on them). Apart from ring.ts so that reading options loads no
// hash ring.

/** At most this many controllers in a ring. */
export const MAX_RING_MEMBERS = 64;
const MAX_NAME_CHARS = 128;
const MAX_ADDRESS_CHARS = 256;

/** One controller of the ring: its stable name (what is hashed) and where clients dial it. */
export interface RingMember {
  name: string;
  address: string;
}

const NAME = /^[A-Za-z0-9[][A-Za-z0-9._:[\]-]*$/;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):[0-9]{1,5}$/;

/**
 * Reads a ring as `--ring` writes it: comma-separated members, each
 * `name=host:port`, or `host:port` alone (then the address is its name).
 *
 * @throws RangeError naming the member that is wrong
 */
export function parseRing(spec: string): RingMember[] {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return checkRing(
    parts.map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? { name: p, address: p } : { name: p.slice(0, eq).trim(), address: p.slice(eq + 1).trim() };
    }),
  );
}

/** Checks members (from a flag or from the wire): names and addresses well formed, no name twice. */
export function checkRing(members: readonly RingMember[]): RingMember[] {
  if (members.length === 0) throw new RangeError('a ring needs at least one controller');
  if (members.length > MAX_RING_MEMBERS) throw new RangeError(`a ring has at most ${MAX_RING_MEMBERS} controllers (got ${members.length})`);
  const seen = new Set<string>();
  for (const m of members) {
    const shown = JSON.stringify(m.name.slice(0, 40));
    if (m.name.length > MAX_NAME_CHARS || !NAME.test(m.name)) {
      throw new RangeError(`ring member ${shown}: a name is letters, digits and '.', '_', '-', ':', '[', ']' (at most ${MAX_NAME_CHARS} characters)`);
    }
    if (m.address.length > MAX_ADDRESS_CHARS || !ADDRESS.test(m.address)) {
      throw new RangeError(`ring member ${shown}: address ${JSON.stringify(m.address.slice(0, 60))} is not host:port`);
    }
    const port = Number(m.address.slice(m.address.lastIndexOf(':') + 1));
    if (port < 1 || port > 65_535) throw new RangeError(`ring member ${shown}: port ${port} is out of range`);
    if (seen.has(m.name)) throw new RangeError(`ring member ${shown} is named twice`);
    seen.add(m.name);
  }
  return members.map((m) => ({ name: m.name, address: m.address }));
}
