// The Azure Functions 2021 reader: rows become arrivals at end − duration in
// time order, (app, func) pairs map onto models, malformed and hostile files
// fail with the line at fault, and compileWorkload tells the formats apart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectTraceFormat, invocationArrivals, isAzure2021Header, parseAzure2021, readAzure2021 } from './azure-2021.js';
import { TraceFormatError } from './azure-trace.js';
import { generateAzureTrace } from './generate-trace.js';
import { compileWorkload } from './workload.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-2021-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

// Rows as a log of completions: not in start order.
const SAMPLE = [
  'app,func,end_timestamp,duration',
  'a1,f1,65.5,0.5', // starts 65 (minute 2)
  'a2,f1,10.25,0.25', // starts 10 (minute 1)
  'a1,f1,130.0,40.0', // starts 90 (minute 2)
  'a1,f2,5.0,1.0', // starts 4
  'a3,f9,3.0,7.5', // started before the trace: left out
  'a2,f1,200.0,0.0', // starts 200 (minute 4)
  '',
].join('\n');

describe('Azure Functions 2021 reader', () => {
  it('turns rows into arrivals at end − duration, in time order, functions in order of first appearance', () => {
    const t = parseAzure2021(SAMPLE);
    expect([...t.starts]).toEqual([4, 10, 65, 90, 200]);
    expect(t.functions.map((f) => `${f.app}/${f.func}`)).toEqual(['a1/f1', 'a2/f1', 'a1/f2']);
    expect([...t.fn]).toEqual([2, 1, 0, 0, 1]);
    expect(t.functions.map((f) => f.invocations)).toEqual([2, 2, 1]);
    expect([t.fromMinute, t.toMinute, t.minutesInFile, t.total, t.startedBefore]).toEqual([1, 4, 4, 5, 1]);
  });

  it('finds columns by name, and keeps only the minutes asked for', () => {
    const t = parseAzure2021('duration,end_timestamp,func,app\r\n1,61,f,a\r\n1,121,g,a\r\n1,10,h,a\r\n', { minutes: { from: 2, to: 2 } });
    expect([...t.starts]).toEqual([60]);
    expect(t.functions.map((f) => f.func)).toEqual(['f']);
    expect([t.fromMinute, t.toMinute, t.minutesInFile]).toEqual([2, 2, 3]);
    expect(() => parseAzure2021('app,func,end_timestamp,duration\na,f,61,1\n', { minutes: { from: 5, to: 9 } })).toThrow(/minutes 5-9 are outside the trace's 1-2/);
  });

  it('arrivals: contiguous blocks of functions onto models, a trace minute lasting minuteSeconds, from the first kept minute', () => {
    const t = parseAzure2021(SAMPLE);
    const a = [...invocationArrivals(t, { models: ['m1', 'm2'], minuteSeconds: 6 })];
    // Functions a1/f1, a2/f1 → m1 (block 0), a1/f2 → m2; a trace second lasts 100 ms.
    expect(a).toEqual([
      { time: 400, model: 'm2' },
      { time: 1000, model: 'm1' },
      { time: 6500, model: 'm1' },
      { time: 9000, model: 'm1' },
      { time: 20000, model: 'm1' },
    ]);
    const later = parseAzure2021(SAMPLE, { minutes: { from: 2, to: 4 } });
    expect([...invocationArrivals(later, { models: ['m'] })].map((x) => x.time)).toEqual([5000, 30000, 140000]);
  });

  it('scales by thinning below 1 and by copies within a second above 1, still in time order', () => {
    const rows = ['app,func,end_timestamp,duration'];
    for (let i = 0; i < 2000; i++) rows.push(`a,f${i % 7},${(i * 0.3).toFixed(3)},0`);
    const t = parseAzure2021(rows.join('\n'));
    const half = [...invocationArrivals(t, { models: ['m'], rateScale: 0.5, seed: 3 })];
    expect(Math.abs(half.length - 1000)).toBeLessThan(4 * Math.sqrt(500)); // binomial(2000, 0.5): sd 22
    const more = [...invocationArrivals(t, { models: ['m'], rateScale: 2.5, seed: 3 })];
    expect(Math.abs(more.length - 5000)).toBeLessThan(4 * Math.sqrt(500));
    for (let i = 1; i < more.length; i++) expect(more[i]!.time).toBeGreaterThanOrEqual(more[i - 1]!.time);
    expect(more[more.length - 1]!.time).toBeLessThan(t.starts[t.total - 1]! * 1000 + 1000);
  });

  const bad: [string, string, RegExp][] = [
    ['a missing column', 'app,func,end_timestamp\na,f,1\n', /^line 1: header has no duration column/],
    ['a short row', 'app,func,end_timestamp,duration\na,f,1,0\n\na,f,1\n', /^line 4: expected 4 fields as in the header, found 3/],
    ['an extra field', 'app,func,end_timestamp,duration\na,f,1,0,9\n', /^line 2: expected 4 fields as in the header, found 5/],
    ['a timestamp that is not a number', 'app,func,end_timestamp,duration\na,f,1,0\na,f,soon,0\n', /^line 3: column "end_timestamp": "soon" is not a non-negative number/],
    ['a negative duration', 'app,func,end_timestamp,duration\na,f,5,-1\n', /^line 2: column "duration": "-1"/],
    ['Infinity', 'app,func,end_timestamp,duration\na,f,Infinity,0\n', /^line 2: column "end_timestamp": "Infinity"/],
    ['hex', 'app,func,end_timestamp,duration\na,f,0x10,0\n', /^line 2: column "end_timestamp": "0x10"/],
    ['an empty app', 'app,func,end_timestamp,duration\n,f,5,1\n', /^line 2: column "app" is empty/],
    ['a start past two weeks', 'app,func,end_timestamp,duration\na,f,1e9,0\n', /^line 2: the invocation starts at .* past the two weeks/],
    ['an empty file', '', /^line 1: empty file/],
  ];
  for (const [what, text, message] of bad) {
    it(`rejects ${what} with a line-numbered error`, () => {
      let caught: unknown;
      try {
        parseAzure2021(text);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(TraceFormatError);
      expect((caught as Error).message).toMatch(message);
    });
  }

  it('fails on a huge line with its line number, without reading it whole', async () => {
    const huge = file('huge.csv', 'app,func,end_timestamp,duration\na,f,1,0\n' + 'x'.repeat(8 << 20) + '\n');
    await expect(readAzure2021(huge)).rejects.toThrow(/^line 3: longer than 4096 bytes/);
    const noNewline = file('blob.csv', 'y'.repeat(3 << 20));
    await expect(detectTraceFormat(noNewline)).rejects.toThrow(/^line 1: longer than/);
  });

  it('reads a generated file as a stream: the same as parsing it whole', async () => {
    const text = generateAzureTrace({ format: '2021', functions: 40, minutes: 15, seed: 8, totalPerMinute: 200 });
    const t = await readAzure2021(file('gen.csv', text));
    const whole = parseAzure2021(text);
    expect(t.total).toBeGreaterThan(1000);
    expect([...t.starts]).toEqual([...whole.starts]);
    expect([...t.fn]).toEqual([...whole.fn]);
  });

  it('detects the format from the header', async () => {
    expect(isAzure2021Header('app,func,end_timestamp,duration')).toBe(true);
    expect(isAzure2021Header('"app","func","end_timestamp","duration"')).toBe(true);
    expect(isAzure2021Header('HashOwner,HashApp,HashFunction,Trigger,1,2')).toBe(false);
    expect(await detectTraceFormat(file('d2021.csv', '\napp,func,end_timestamp,duration\n'))).toBe('2021');
    expect(await detectTraceFormat(file('d2019.csv', 'HashOwner,HashApp,HashFunction,1\no,a,f,1\n'))).toBe('2019');
  });
});

describe('compileWorkload with either format', () => {
  it('a 2021 file replays its invocations, mapped onto the models, with the config saying so', async () => {
    const w = await compileWorkload({ trace: file('w2021.csv', SAMPLE), minuteSeconds: 6 }, ['m1', 'm2']);
    expect(w.config).toMatchObject({ format: 'azure-2021', minutes: '1-4', functions: 3, models: ['m1', 'm2'] });
    expect(w.durationMs).toBe(4 * 6000);
    expect(w.expected).toBe(5);
    const a = [...w.arrivals()];
    expect(a.map((x) => x.model)).toEqual(['m2', 'm1', 'm1', 'm1', 'm1']);
    expect([...w.arrivals()]).toEqual(a); // again, the same
    const capped = await compileWorkload({ trace: file('w2021b.csv', SAMPLE), durationS: 100 }, ['m1']);
    expect([...capped.arrivals()].map((x) => x.time)).toEqual([4000, 10000, 65000, 90000]);
  });

  it('a 2019 file goes on through the 2019 reader, and a malformed 2021 file fails with its line', async () => {
    const w = await compileWorkload({ trace: file('w2019.csv', 'HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,3,4\n') }, ['m']);
    expect(w.config).not.toHaveProperty('format');
    expect([...w.arrivals()]).toHaveLength(7);
    await expect(compileWorkload({ trace: file('bad2021.csv', 'app,func,end_timestamp,duration\na,f,x,1\n') }, ['m'])).rejects.toThrow(/^line 2: column "end_timestamp"/);
  });

  it('takes minute ranges up to two weeks', async () => {
    const rows = 'app,func,end_timestamp,duration\na,f,100000,0\na,f,100010,0\na,f,100030,0\n'; // minutes 1667, 1667, 1668
    const w = await compileWorkload({ trace: file('late.csv', rows), minutes: { from: 1667, to: 1667 } }, ['m']);
    expect([...w.arrivals()].map((x) => x.time)).toEqual([40_000, 50_000]);
  });
});
