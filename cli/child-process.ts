// Child processes of this CLI (controllers and workers started by `compare
// --live`, the benchmarks and the integration tests): reading the JSON
// event a process prints on stdout when it is ready, and stopping one.
import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export interface WaitOptions {
  /** Reject after this long. @default no limit */
  timeoutMs?: number;
  /** Appended to the error message (e.g. the child's recent stderr). */
  detail?: () => string;
}

/**
 * Resolves with the first JSON line on the child's stdout whose `event` is
 * `event` (e.g. the controller's {"event":"listening","port":N}); rejects if
 * the child exits first or the timeout passes.
 */
export function waitForEvent(child: ChildProcess, event: string, opts: WaitOptions = {}): Promise<Record<string, unknown>> {
  const detail = () => (opts.detail ? `:\n${opts.detail()}` : '');
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    const timer =
      opts.timeoutMs === undefined ? undefined : setTimeout(() => reject(new Error(`no "${event}" from the child within ${opts.timeoutMs} ms${detail()}`)), opts.timeoutMs);
    rl.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg.event === event) {
          if (timer) clearTimeout(timer);
          resolve(msg);
        }
      } catch {
        // not a JSON line
      }
    });
    child.once('exit', (code) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`child exited with status ${code} before "${event}"${detail()}`));
    });
  });
}

/** The ports of a controller's {"event":"listening","port":N,...} line (0 for one it does not give, or turned off). */
export async function waitForListeningPort(child: ChildProcess, opts: WaitOptions = {}): Promise<{ port: number; metricsPort: number; httpPort: number; healthPort: number }> {
  const msg = await waitForEvent(child, 'listening', opts);
  if (typeof msg.port !== 'number') throw new Error('the "listening" event carries no port');
  const portOf = (v: unknown): number => (typeof v === 'number' ? v : 0);
  return { port: msg.port, metricsPort: portOf(msg.metricsPort), httpPort: portOf(msg.httpPort), healthPort: portOf(msg.healthPort) };
}

/** SIGTERM, then SIGKILL after `killAfterMs`; resolves when the child has exited. */
export function stopChild(child: ChildProcess, killAfterMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    timer.unref();
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
