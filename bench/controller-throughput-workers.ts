// Emulated workers for bench/controller-throughput.ts: this process holds
// `count` whole workers (worker/worker.ts), each with one executor on the
// emulated device and its own gRPC stream, channel and TCP connection to the
// controller, as `punctual worker --device emulated` has. Several workers
// share one process because 64 worker processes would be 64 Node heaps and
// event loops on a 2-core machine; to the controller each is a worker apart.
// Forked with IPC: says {type:'ready'} once every worker is connected, and
// closes them all on {type:'exit'}.
import { startWorker, type WorkerHandle } from '../worker/worker.js';

const [address, countArg, prefix] = process.argv.slice(2);
const count = Number(countArg);
if (!address || !Number.isSafeInteger(count) || count < 1 || !prefix) {
  process.stderr.write('usage: controller-throughput-workers.js HOST:PORT COUNT NAME-PREFIX\n');
  process.exit(2);
}

const handles: WorkerHandle[] = [];
const log = (line: string): void => void process.stderr.write(`${prefix}: ${line}\n`);

async function main(): Promise<void> {
  for (let i = 0; i < count; i++) {
    handles.push(
      await startWorker({ controller: address!, executors: 1, threads: 1, device: 'emulated', memoryBytes: 1024 ** 3, name: `${prefix}-${i + 1}`, logLevel: 'warn', log }),
    );
  }
  const until = Date.now() + 60_000;
  while (!handles.every((h) => h.connected())) {
    if (Date.now() > until) throw new Error(`${handles.filter((h) => !h.connected()).length} of ${count} workers not connected after 60 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  process.send?.({ type: 'ready' });
}

process.on('message', (m: { type: string }) => {
  if (m.type !== 'exit') return;
  void Promise.allSettled(handles.map((h) => h.close())).then(() => process.exit(0));
});
main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
