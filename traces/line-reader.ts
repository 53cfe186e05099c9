// Lines of a file, streamed, with a bound on a line's length: a file that is
// not what it claims (one 2 GB line, a binary blob) fails with the line at
// fault instead of taking the process's memory. Reports bytes read, for
// progress bars.
import fs from 'node:fs';
import { TraceFormatError } from './trace-format-error.js';

export interface LineReadOptions {
  /** A longer line is an error. */
  maxLineBytes: number;
  /** Bytes read so far, after each chunk. */
  onBytes?: (bytes: number) => void;
}

const NEWLINE = 0x0a;

/** The file's lines without their line ends (`\n` or `\r\n`), the last one even without a final newline. */
export async function* fileLines(file: string, opts: LineReadOptions): AsyncGenerator<string> {
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 16 });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  let bytes = 0;
  const text = (parts: Buffer[]): string => {
    const s = Buffer.concat(parts).toString('utf8');
    return s.endsWith('\r') ? s.slice(0, -1) : s;
  };
  const tooLong = (): TraceFormatError => new TraceFormatError(line + 1, `longer than ${opts.maxLineBytes} bytes: not a line of a trace`);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      if (pendingBytes + nl - start > opts.maxLineBytes) throw tooLong();
      pending.push(chunk.subarray(start, nl));
      line++;
      yield text(pending);
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pendingBytes += chunk.length - start;
      if (pendingBytes > opts.maxLineBytes) throw tooLong();
      pending.push(chunk.subarray(start));
    }
    opts.onBytes?.(bytes);
  }
  if (pendingBytes > 0) yield text(pending);
}

/** The first non-blank line (bounded like the rest), or undefined for an empty file. */
export async function firstLine(file: string, maxLineBytes: number): Promise<string | undefined> {
  for await (const line of fileLines(file, { maxLineBytes })) if (line.trim() !== '') return line;
  return undefined;
}
