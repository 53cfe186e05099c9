// Which session thread of an executor runs an action: its lanes. onnxruntime
// sessions belong to the JavaScript thread that created them, so an executor
// that loads on one thread while it infers on another (ExecutorInfo.lanes in
// protos/punctual/v1/worker.proto) must send each model's work to the thread
// holding its session. With one lane everything runs on thread 0, as it
// always has. With several, a LOAD runs on the lane the controller chose
// unless another lane holds the model already (there it is answered as any
// repeated LOAD is); its INFERs and its UNLOAD follow it. Bookkeeping only,
// no threads: worker/executor.ts asks at each start and reports each end.

/** Where an action starting now runs: on `lane`, or (several lanes only) nowhere, since no lane holds its model. */
export type LaneRoute = { lane: number; /** A LOAD that made `lane` the model's holder as it started. */ claimed: boolean } | undefined;

export class SessionLanes {
  /** Model key → the lane holding (or, while its LOAD runs, creating) its session. */
  private readonly holders = new Map<string, number>();
  /** Actions running on each lane's thread now. */
  private readonly running: number[];

  constructor(readonly count: number) {
    if (!Number.isSafeInteger(count) || count < 1) throw new Error(`lanes must be a positive integer, not ${count}`);
    this.running = new Array<number>(count).fill(0);
  }

  /** Why a LOAD asking for `lane` is refused; undefined when that lane exists. */
  badLane(lane: number): string | undefined {
    if (Number.isSafeInteger(lane) && lane >= 0 && lane < this.count) return undefined;
    return `lane ${lane} does not exist (the executor has ${this.count} lane${this.count === 1 ? '' : 's'}, 0..${this.count - 1})`;
  }

  /**
   * The lane of an action starting now. A LOAD of a model no lane holds claims
   * its lane at once, so that an INFER started while it runs goes to the same
   * thread (and waits there) rather than finding the model nowhere.
   */
  route(type: 'LOAD' | 'UNLOAD' | 'INFER', modelKey: string, lane: number): LaneRoute {
    if (this.count === 1) return { lane: 0, claimed: false };
    const holder = this.holders.get(modelKey);
    if (holder !== undefined) return { lane: holder, claimed: false };
    if (type !== 'LOAD') return undefined;
    this.holders.set(modelKey, lane);
    return { lane, claimed: true };
  }

  /** An action starts on `lane`; true when that lane's thread was still busy with another. */
  enter(lane: number): boolean {
    const busy = this.running[lane]! > 0;
    this.running[lane]!++;
    return busy;
  }

  /** The action that entered `lane` is done. */
  leave(lane: number): void {
    this.running[lane]!--;
  }

  /**
   * What a finished action did to the holders. A failed LOAD that claimed its
   * lane gives it up; an UNLOAD, done or failed, leaves the model nowhere (it
   * fails only when its thread died, taking the sessions with it).
   */
  settle(type: 'LOAD' | 'UNLOAD' | 'INFER', modelKey: string, route: NonNullable<LaneRoute>, ok: boolean): void {
    if (this.count === 1) return;
    const releases = type === 'UNLOAD' || (type === 'LOAD' && route.claimed && !ok);
    if (releases && this.holders.get(modelKey) === route.lane) this.holders.delete(modelKey);
  }

  /** Every session was released: no lane holds anything. */
  clear(): void {
    this.holders.clear();
    this.sessions.clear();
  }

  /**
   * Sessions the threads hold, by model key, with what their LOAD reported
   * (every lane count): kept when the controller goes away, announced in the
   * next Hello, released unless the next controller adopts them (release).
   */
  private readonly sessions = new Map<string, { lane: number; memoryBytes: number }>();

  /** A LOAD made a session on `lane` (a repeated LOAD of a held model changes nothing). */
  loaded(modelKey: string, lane: number, memoryBytes: number): void {
    if (!this.sessions.has(modelKey)) this.sessions.set(modelKey, { lane, memoryBytes });
  }

  /** An UNLOAD ran: the session is gone. */
  unloaded(modelKey: string): void {
    this.sessions.delete(modelKey);
  }

  /** The thread of `lane` died, and its sessions with it. */
  laneDied(lane: number): void {
    for (const [key, r] of this.sessions) if (r.lane === lane) this.sessions.delete(key);
  }

  /** The sessions held now, as Hello announces them. */
  held(): { modelKey: string; lane: number; memoryBytes: number }[] {
    return [...this.sessions].map(([modelKey, r]) => ({ modelKey, lane: r.lane, memoryBytes: r.memoryBytes }));
  }

  /** Forgets every session but those in `keep`, and returns the forgotten ones (for their threads to release). */
  release(keep: ReadonlySet<string>): { modelKey: string; lane: number }[] {
    const out: { modelKey: string; lane: number }[] = [];
    for (const [modelKey, r] of [...this.sessions]) {
      if (keep.has(modelKey)) continue;
      this.sessions.delete(modelKey);
      this.holders.delete(modelKey);
      out.push({ modelKey, lane: r.lane });
    }
    return out;
  }

  /** The lane holding `modelKey`, if any (several lanes only). */
  holderOf(modelKey: string): number | undefined {
    return this.holders.get(modelKey);
  }
}
