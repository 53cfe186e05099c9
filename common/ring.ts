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
import { checkRing, type RingMember } from './ring-members.js';

export { checkRing, parseRing, MAX_RING_MEMBERS, type RingMember } from './ring-members.js';

// How a controller names another as a model's owner (controller/shard.ts
// answers so; client/ring-client.ts and the CLI read it).
/** Trailer (and HTTP header) naming a model's owner: `name=host:port` (ownerTrailer, parseOwnerTrailer). */
export const OWNER_TRAILER = 'punctual-owner';
/** Trailer (and HTTP header) with the version of the ring the answer was made by. */
export const RING_VERSION_TRAILER = 'punctual-ring-version';
/** The reason of an answer naming another controller. */
export const OTHER_SHARD = 'other_shard';

/** The OWNER_TRAILER value naming `owner`. */
export function ownerTrailer(owner: RingMember): string {
  return `${owner.name}=${owner.address}`;
}

/** The member an OWNER_TRAILER value names; undefined for anything else. */
export function parseOwnerTrailer(value: unknown): RingMember | undefined {
  if (typeof value !== 'string') return undefined;
  const eq = value.indexOf('=');
  return eq > 0 && eq < value.length - 1 ? { name: value.slice(0, eq), address: value.slice(eq + 1) } : undefined;
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
