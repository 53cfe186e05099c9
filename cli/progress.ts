// A progress bar on stderr (cli-progress) when stderr is a terminal and the
// output is not --json; otherwise a no-op, so piped output stays clean.
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number): void;
  stop(): void;
}

const NONE: Progress = { update: () => {}, stop: () => {} };

export function progressBar(label: string, total: number, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return NONE;
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (v) => bar.update(v), stop: () => bar.stop() };
}
