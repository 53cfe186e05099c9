// The Azure Functions trace reader: both header variants, the generator's
// output, and malformed files rejected with the line at fault.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAzureTrace, readAzureTrace, TraceFormatError } from './azure-trace.js';
import { generateAzureTrace } from './generate-trace.js';

describe('Azure trace reader', () => {
  it('reads the original header (HashOwner,HashApp,HashFunction,Trigger,1..N)', () => {
    const t = parseAzureTrace('HashOwner,HashApp,HashFunction,Trigger,1,2,3\no1,a1,f1,http,5,0,2\no2,a2,f2,timer,0,0,0\no3,a3,f3,queue,1,1,1\n');
    expect(t.functions.map((f) => f.fn)).toEqual(['f1', 'f3']); // f2 never fires: left out
    expect([...t.functions[0]!.counts]).toEqual([5, 0, 2]);
    expect(t.functions[0]!.trigger).toBe('http');
    expect(t.total).toBe(10);
    expect([t.fromMinute, t.toMinute, t.minutesInFile]).toEqual([1, 3, 3]);
  });

  it('reads the minute_N variant with reordered columns and no Trigger, by header name', () => {
    const t = parseAzureTrace('minute_2,HashFunction,minute_1,HashApp,HashOwner\r\n7,f1,3,a1,o1\r\n');
    expect(t.functions).toHaveLength(1);
    const f = t.functions[0]!;
    expect([f.owner, f.app, f.fn, f.trigger]).toEqual(['o1', 'a1', 'f1', undefined]);
    expect([...f.counts]).toEqual([3, 7]);
  });

  it('keeps functions idle in the range only when asked (the statistics count them)', () => {
    const text = 'HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,0,0\no,a,g,http,0,4\n';
    expect(parseAzureTrace(text).functions.map((f) => f.fn)).toEqual(['g']);
    expect(parseAzureTrace(text, { keepIdle: true }).functions.map((f) => f.fn)).toEqual(['f', 'g']);
    expect(parseAzureTrace(text, { keepIdle: true }).total).toBe(4);
  });

  it('keeps only the minutes asked for', () => {
    const t = parseAzureTrace('HashOwner,HashApp,HashFunction,Trigger,1,2,3,4\no,a,f,http,1,2,3,4\n', { minutes: { from: 2, to: 3 } });
    expect([...t.functions[0]!.counts]).toEqual([2, 3]);
    expect(t.total).toBe(5);
  });

  it('a file with a line longer than any trace row (no line breaks at all) is a TraceFormatError, read without holding it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-trace-'));
    try {
      const file = path.join(dir, 'one-line.csv');
      fs.writeFileSync(file, 'HashOwner,HashApp,HashFunction,Trigger,1\n' + 'x'.repeat(3 * 2 ** 20));
      await expect(readAzureTrace(file)).rejects.toThrow(TraceFormatError);
      await expect(readAzureTrace(file)).rejects.toThrow(/line 2: longer than 1048576 bytes/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads what the generator writes, in both variants, from a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-trace-'));
    try {
      for (const variant of ['azure', 'minute'] as const) {
        const file = path.join(dir, `${variant}.csv`);
        fs.writeFileSync(file, generateAzureTrace({ shape: 'zipf-poisson', functions: 8, minutes: 5, variant, seed: 3 }));
        const t = await readAzureTrace(file);
        expect(t.functions).toHaveLength(8);
        expect(t.minutesInFile).toBe(5);
        expect(t.total).toBeGreaterThan(0);
      }
      // The same seed gives the same counts whatever the header looks like, in either shape.
      for (const shape of ['azure', 'zipf-poisson'] as const) {
        const a = parseAzureTrace(generateAzureTrace({ shape, variant: 'azure', functions: 40, seed: 9 }));
        const b = parseAzureTrace(generateAzureTrace({ shape, variant: 'minute', functions: 40, seed: 9 }));
        expect(a.total).toBeGreaterThan(0);
        expect(a.functions.map((f) => [...f.counts])).toEqual(b.functions.map((f) => [...f.counts]));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const bad: [string, string, RegExp][] = [
    ['a count that is not a number', 'HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,2\no,a,g,http,x,2\n', /^line 3: column "1": "x" is not a non-negative integer count/],
    ['a negative count', 'HashOwner,HashApp,HashFunction,1\n\no,a,f,-4\n', /^line 3: column "1"/],
    ['a short row', 'HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1\n', /^line 2: expected 6 fields as in the header, found 5/],
    ['no HashFunction column', 'HashOwner,HashApp,Trigger,1,2\n', /^line 1: header has no HashFunction column/],
    ['no minute columns', 'HashOwner,HashApp,HashFunction,Trigger\n', /^line 1: header has no minute columns/],
    ['a duplicated minute', 'HashOwner,HashApp,HashFunction,1,minute_1\n', /^line 1: minute 1 appears twice/],
    ['an empty file', '', /^line 1: empty file/],
  ];
  for (const [what, text, message] of bad) {
    it(`rejects ${what} with a line-numbered error`, () => {
      let caught: unknown;
      try {
        parseAzureTrace(text);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(TraceFormatError);
      expect((caught as Error).message).toMatch(message);
    });
  }
});
