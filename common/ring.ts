// The ring of controllers: several controllers each own a shard of the
// models, chosen by a consistent hash of the model's name (every version of a
// model lives on one shard). Controllers (controller/shard.ts), clients of
// our library (client/ring-client.ts) and the simulator (punctual simulate
// --controllers) place a model with this one function, so they agree.
//
// The hash is ketama's (the `hashring` package: MD5, 160 points per member),
// as memcached clients use it: adding a member moves only the models that
// land on its points, about 1/n of them, and none between the others.
import HashRing from 'hashring';
import { createHash } from 'node:crypto';

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

/** Which controller owns each model. Immutable: a changed ring is a new ControllerRing. */
export class ControllerRing {
  readonly members: readonly RingMember[];
  /**
   * Names the ring's membership (its members' names and addresses, in any
   * order): two controllers or a client and a controller with the same
   * version place every model alike.
   */
  readonly version: string;
  private readonly hash: HashRing;
  private readonly byName = new Map<string, RingMember>();

  /** @throws RangeError for malformed members (see checkRing) */
  constructor(members: readonly RingMember[]) {
    this.members = checkRing(members);
    for (const m of this.members) this.byName.set(m.name, m);
    this.hash = new HashRing(this.members.map((m) => m.name));
    const canonical = [...this.members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((m) => `${m.name}=${m.address}`);
    this.version = createHash('sha256').update(canonical.join(',')).digest('hex').slice(0, 16);
  }

  /** The controller that owns `model` (by name; every version of it). */
  owner(model: string): RingMember {
    const name = this.members.length === 1 ? this.members[0]!.name : this.hash.get(model);
    return this.byName.get(name)!;
  }

  /** The member named `name`, if any. */
  member(name: string): RingMember | undefined {
    return this.byName.get(name);
  }
}
