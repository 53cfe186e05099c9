// Structured JSON logs on stderr (pino). Level from the option, else
// PUNCTUAL_LOG_LEVEL, else info. One line per significant event; nothing per
// request at info level.
//
// The lines go to an FdDestination, not pino.destination(): a closed or full
// stderr is a normal condition (the parent holding the pipe went away), and
// sonic-boom's flushSync — which pino calls on fatal and at exit — sleeps and
// retries a failed write forever, deaf to SIGTERM. Here each line is written
// once, synchronously: a full pipe drops the line, a broken one turns logging
// off for good, and nothing ever waits, retries or throws.
import fs from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface FdDestinationOptions {
  /** Written to the fd. @default fs.writeSync */
  writeSync?: (fd: number, data: string | Uint8Array, offset?: number) => number;
  /** The `name` of the line that reports dropped lines. @default 'punctual' */
  name?: string;
}

/** Errors that mean "not now" (the line is dropped); any other means "never again". */
const TRY_LATER = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

/** A pino destination writing each line with one synchronous write to an fd. */
export class FdDestination implements DestinationStream {
  private off = false;
  private dropped = 0;
  /** The last write stopped mid-line: the next line starts on a fresh one. */
  private torn = false;
  private readonly writeSync: NonNullable<FdDestinationOptions['writeSync']>;
  private readonly name: string;

  constructor(
    private readonly fd: number,
    opts: FdDestinationOptions = {},
  ) {
    this.writeSync = opts.writeSync ?? ((fd, data, offset) => (typeof data === 'string' ? fs.writeSync(fd, data) : fs.writeSync(fd, data, offset)));
    this.name = opts.name ?? 'punctual';
  }

  /** Lines dropped because the fd was full, not yet reported. */
  get droppedLines(): number {
    return this.dropped;
  }

  /** True once a write failed for good (EPIPE, EBADF, …): nothing is written any more. */
  get stopped(): boolean {
    return this.off;
  }

  write(line: string): void {
    if (this.off) return;
    if (this.dropped > 0) {
      // Writes go through again: say once how many lines were missed.
      const missed = this.dropped;
      this.dropped = 0;
      if (!this.put(dropReport(this.name, missed))) {
        this.dropped += missed;
        return;
      }
    }
    this.put(line);
  }

  /** Nothing is ever buffered. */
  flushSync(): void {}

  flush(cb?: (err?: Error) => void): void {
    cb?.();
  }

  /** Writes one line; false when it was dropped (counted) or logging is off. */
  private put(line: string): boolean {
    const text = this.torn ? `\n${line}` : line;
    try {
      const n = this.writeSync(this.fd, text);
      if (n < Buffer.byteLength(text)) return this.finish(Buffer.from(text), n);
      this.torn = false;
      return true;
    } catch (err) {
      return this.failed(err, false);
    }
  }

  /**
   * The rest of a line the fd took only part of (a non-blocking pipe, a line
   * over PIPE_BUF). Bounded: every round writes at least one byte or stops.
   */
  private finish(bytes: Buffer, written: number): boolean {
    let at = written;
    try {
      while (at < bytes.length) {
        const n = this.writeSync(this.fd, bytes, at);
        if (n <= 0) return this.failed(undefined, true);
        at += n;
      }
    } catch (err) {
      return this.failed(err, at > 0);
    }
    this.torn = false;
    return true;
  }

  private failed(err: unknown, midLine: boolean): false {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (err === undefined || (code !== undefined && TRY_LATER.has(code))) {
      this.dropped++;
      if (midLine) this.torn = true;
    } else {
      this.off = true;
    }
    return false;
  }
}

function dropReport(name: string, dropped: number): string {
  const line = { level: 40, time: Date.now(), pid: process.pid, name, event: 'log_lines_dropped', dropped, msg: `dropped ${dropped} log lines: stderr was not accepting writes` };
  return `${JSON.stringify(line)}\n`;
}

export function createLogger(name: string, level?: string): Logger {
  return pino({ name, level: level ?? process.env.PUNCTUAL_LOG_LEVEL ?? 'info', base: { pid: process.pid } }, new FdDestination(2, { name }));
}
