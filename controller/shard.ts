// This controller's place in a ring of controllers (`--ring`, common/ring.ts):
// which models it owns, and the answer for one it does not. Every lookup of a
// model by name goes through ModelRegistry.resolve, which asks here when the
// name is not registered: a model another controller owns is answered with
// NOT_FOUND, reason `other_shard`, its owner's name and address in the message
// (for a person or any V2 client) and in the `punctual-owner` trailer (for
// ours, client/ring-client.ts, which sends it there and learns the ring again).
// A model this controller holds is served whoever owns it: after the ring
// changes, it serves the models it still holds until `punctual ring
// rebalance` (cli/commands/ring.ts) hands them to their new owner.
import { quoted } from '../common/bounded-text.js';
import { PunctualError, Status } from '../common/errors.js';
import { ControllerRing, OTHER_SHARD, OWNER_TRAILER, RING_VERSION_TRAILER, ownerTrailer, type RingMember } from '../common/ring.js';

// Defined in common/ring.ts, with the client's reading of them; named here too for the controller's other files.
export { OTHER_SHARD } from '../common/ring.js';

export class Shard {
  readonly self: RingMember;

  /**
   * @param selfName this controller's member name in the ring
   * @throws RangeError when the ring has no member of that name
   */
  constructor(
    readonly ring: ControllerRing,
    selfName: string,
  ) {
    const self = ring.member(selfName);
    if (!self) throw new RangeError(`--ring-name ${JSON.stringify(selfName.slice(0, 60))} is not a member of --ring (${ring.members.map((m) => m.name).join(', ')})`);
    this.self = self;
  }

  /** Whether this controller owns `model` (every version of the name). */
  owns(model: string): boolean {
    return this.ring.owner(model).name === this.self.name;
  }

  /** The owner of `model` when it is another controller; undefined when it is this one. */
  elsewhere(model: string): RingMember | undefined {
    const owner = this.ring.owner(model);
    return owner.name === this.self.name ? undefined : owner;
  }

  /** The answer to a request for `model`, which `owner` owns (see the file's head). */
  otherShard(model: string, owner: RingMember, code: Status = Status.NOT_FOUND): PunctualError {
    return new PunctualError(
      code,
      `model ${quoted(model)} is served by controller ${owner.name} at ${owner.address}, not by this one (${this.self.name}; the ring has ${this.ring.members.length} controllers): send it there`,
      OTHER_SHARD,
      { [OWNER_TRAILER]: ownerTrailer(owner), [RING_VERSION_TRAILER]: this.ring.version },
    );
  }
}
