// Waiting for the end of the long-running commands (controller, worker, up):
// SIGINT or SIGTERM, or — for a worker that `punctual up` started — the loss
// of its IPC channel, meaning that parent is gone and nobody will stop it.
// The first signal starts a clean shutdown; a second one, for when that
// shutdown hangs, exits at once.
import type { OutStream } from './context.js';

export type StopCause = NodeJS.Signals | 'parent gone';

/** Resolves with what asked this process to stop. */
export function untilStopped(stderr: OutStream): Promise<StopCause> {
  return new Promise((resolve) => {
    let seen = false;
    const stop = (cause: StopCause): void => {
      if (seen) {
        if (cause === 'parent gone') return;
        stderr.write(`${cause} again: exiting without waiting\n`);
        process.exit(130);
      }
      seen = true;
      resolve(cause);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (process.send !== undefined) {
      if (process.connected) process.once('disconnect', () => stop('parent gone'));
      else stop('parent gone');
    }
  });
}
