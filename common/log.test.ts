// FdDestination on real pipes (a FIFO in a temp folder, both ends held
// here): a full pipe drops lines and reports them once it drains; a pipe with
// no reader (EPIPE) or a bad fd turns logging off without throwing, without
// retrying, without sleeping.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FdDestination } from './log.js';

const dirs: string[] = [];
const fds: number[] = [];

/** A non-blocking FIFO: the read end and the write end, both open. */
function fifo(): { reader: number; writer: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-log-'));
  dirs.push(dir);
  const file = path.join(dir, 'pipe');
  execFileSync('mkfifo', [file]);
  const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;
  const reader = fs.openSync(file, O_RDONLY | O_NONBLOCK);
  const writer = fs.openSync(file, O_WRONLY | O_NONBLOCK);
  fds.push(reader, writer);
  return { reader, writer };
}

function closeFd(fd: number): void {
  const i = fds.indexOf(fd);
  if (i >= 0) fds.splice(i, 1);
  fs.closeSync(fd);
}

/** Everything waiting in the pipe. */
function drain(reader: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65_536);
  for (;;) {
    try {
      const n = fs.readSync(reader, buf);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw err;
    }
  }
  return Buffer.concat(chunks).toString();
}

/** fs.writeSync, counted. */
function countingWrite(): { calls: () => number; writeSync: (fd: number, data: string | Uint8Array, offset?: number) => number } {
  let calls = 0;
  return {
    calls: () => calls,
    writeSync: (fd, data, offset) => {
      calls++;
      return typeof data === 'string' ? fs.writeSync(fd, data) : fs.writeSync(fd, data, offset);
    },
  };
}

afterEach(() => {
  for (const fd of fds.splice(0)) fs.closeSync(fd);
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('FdDestination', () => {
  it('writes whole lines while the pipe takes them', () => {
    const { reader, writer } = fifo();
    const dest = new FdDestination(writer);
    dest.write('{"a":1}\n');
    dest.write('{"b":2}\n');
    expect(drain(reader)).toBe('{"a":1}\n{"b":2}\n');
    expect(dest.stopped).toBe(false);
  });

  it('turns off for good on EPIPE (no reader): no throw, one write attempt, none after', () => {
    const { reader, writer } = fifo();
    closeFd(reader);
    const w = countingWrite();
    const dest = new FdDestination(writer, { writeSync: w.writeSync });
    expect(() => dest.write('lost\n')).not.toThrow();
    expect(dest.stopped).toBe(true);
    expect(w.calls()).toBe(1);
    for (let i = 0; i < 100; i++) dest.write('also lost\n');
    dest.flushSync();
    expect(w.calls()).toBe(1);
  });

  it('turns off on EBADF', () => {
    const w = { calls: 0 };
    const dest = new FdDestination(1_000_000, {
      writeSync: () => {
        w.calls++;
        throw Object.assign(new Error('bad file descriptor'), { code: 'EBADF' });
      },
    });
    expect(() => dest.write('x\n')).not.toThrow();
    dest.write('y\n');
    expect(dest.stopped).toBe(true);
    expect(w.calls).toBe(1);
  });

  it('drops lines while the pipe is full, then reports how many once it drains', () => {
    const { reader, writer } = fifo();
    const w = countingWrite();
    const dest = new FdDestination(writer, { writeSync: w.writeSync, name: 'test' });
    const line = `${'x'.repeat(99)}\n`;
    // Fill the pipe (64 KiB by default): 100-byte lines are under PIPE_BUF, so each goes whole or not at all.
    let written = 0;
    while (dest.droppedLines === 0) {
      dest.write(line);
      written++;
      expect(written).toBeLessThan(100_000);
    }
    const before = w.calls();
    dest.write(line);
    dest.write(line);
    expect(dest.droppedLines).toBe(3);
    expect(w.calls() - before).toBe(2);
    expect(dest.stopped).toBe(false);

    const backlog = drain(reader);
    expect(backlog.split('\n').filter((l) => l !== '').every((l) => l === line.trimEnd())).toBe(true);
    dest.write('{"after":true}\n');
    const lines = drain(reader).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const report = JSON.parse(lines[0]!) as { event: string; dropped: number; name: string; level: number };
    expect(report).toMatchObject({ event: 'log_lines_dropped', dropped: 3, name: 'test', level: 40 });
    expect(lines[1]).toBe('{"after":true}');
    expect(dest.droppedLines).toBe(0);
  });

  it('finishes a line the fd took only part of, and starts the next on a fresh line when it could not', () => {
    const out: string[] = [];
    let budget = [3, Infinity];
    const dest = new FdDestination(9, {
      writeSync: (_fd, data, offset = 0) => {
        const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data).subarray(offset);
        const allowed = budget.shift() ?? Infinity;
        if (allowed === 0) throw Object.assign(new Error('try again'), { code: 'EAGAIN' });
        const n = Math.min(allowed, bytes.length);
        out.push(bytes.subarray(0, n).toString());
        return n;
      },
    });
    dest.write('abcdef\n');
    expect(out.join('')).toBe('abcdef\n');
    out.length = 0;
    budget = [2, 0];
    dest.write('ghijkl\n');
    expect(dest.droppedLines).toBe(1);
    budget = [];
    dest.write('next\n');
    const text = out.join('');
    expect(text.startsWith('gh\n')).toBe(true);
    expect(text.split('\n')[1]).toMatch(/"event":"log_lines_dropped"/);
    expect(text.endsWith('\nnext\n')).toBe(true);
  });

  it('lets pino log, fatal included (which flushes synchronously), into a broken pipe without throwing', () => {
    const { reader, writer } = fifo();
    closeFd(reader);
    const dest = new FdDestination(writer);
    const log = pino({ level: 'info' }, dest);
    expect(() => {
      log.info({ event: 'x' }, 'one');
      log.fatal('two');
      log.flush();
    }).not.toThrow();
    expect(dest.stopped).toBe(true);
  });
});
