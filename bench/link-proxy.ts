// A network link in user space, for bench/remote-client.ts: TCP proxies
// that deliver each chunk `delayMs` after it left, and no faster than
// `rate` allows (a chunk departs once the link has carried the ones before
// it), in each direction. This machine's kernel has no netem, so its
// loopback cannot be slowed. Timers make the delay whole milliseconds at
// best (a 1 ms delay is 1-2 ms). Forked with IPC: argv is the targets' ports;
// it answers {ports} (one listener per target, in order) and exits on
// {type:'exit'}.
import net from 'node:net';

/** One direction of a link: chunks leave paced by the rate and arrive after the delay, in order. */
class Direction {
  private readonly queue: { at: number; chunk: Buffer }[] = [];
  private freeAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: net.Socket,
    private readonly delayMs: number,
    private readonly bytesPerMs: number,
  ) {}

  push(chunk: Buffer): void {
    const now = performance.now();
    const departs = Math.max(now, this.freeAt);
    this.freeAt = departs + chunk.byteLength / this.bytesPerMs;
    this.queue.push({ at: this.freeAt + this.delayMs, chunk });
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, this.queue[0]!.at - performance.now()));
  }

  private flush(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now + 0.05) {
      if (!this.out.destroyed) this.out.write(this.queue.shift()!.chunk);
      else this.queue.shift();
    }
    this.arm();
  }
}

function proxy(target: number, delayMs: number, bytesPerMs: number): Promise<number> {
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect(target, '127.0.0.1');
    upstream.setNoDelay(true);
    const toUpstream = new Direction(upstream, delayMs, bytesPerMs);
    const toClient = new Direction(client, delayMs, bytesPerMs);
    client.on('data', (c: Buffer) => toUpstream.push(c));
    upstream.on('data', (c: Buffer) => toClient.push(c));
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

const [delayArg, rateArg, ...targets] = process.argv.slice(2);
const delayMs = Number(delayArg);
const bytesPerMs = Number(rateArg) / 8 / 1000; // bits/s → bytes/ms
const ports = await Promise.all(targets.map((t) => proxy(Number(t), delayMs, bytesPerMs)));
process.send?.({ ports });
process.on('message', (m: { type?: string }) => {
  if (m.type === 'exit') process.exit(0);
});
