// `punctual trace generate` and `punctual trace stats`, in process: the
// default shape, the old one on request, the 2021 format, usage errors, and
// the statistics in both forms.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured as cli } from '../../test/support/run-cli.js';
import { generateAzureTrace } from '../../traces/generate-trace.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-trace-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('punctual trace generate', () => {
  it('writes the azure shape by default, the same as the library for the same flags', async () => {
    const r = await cli(['trace', 'generate', '--functions', '30', '--minutes', '20', '--seed', '4']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(generateAzureTrace({ functions: 30, minutes: 20, seed: 4 }));
    expect(r.stdout.split('\n')[1]).toMatch(/^[0-9a-f]{64},[0-9a-f]{64},[0-9a-f]{64},(http|queue|event|orchestration|timer|storage|others),/);
  });

  it('--shape zipf-poisson --peak is the original generator; --format 2021 writes invocations to --out', async () => {
    const old = await cli(['trace', 'generate', '--shape', 'zipf-poisson', '--peak', '50', '--seed', '2']);
    expect(old.stdout).toBe(generateAzureTrace({ shape: 'zipf-poisson', peakPerMinute: 50, seed: 2 }));
    const out = path.join(dir, 'inv.csv');
    const r = await cli(['--json', 'trace', 'generate', '--format', '2021', '--functions', '20', '--minutes', '5', '--total-per-minute', '40', '--out', out]);
    expect(r.code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toBe('app,func,end_timestamp,duration');
    expect(JSON.parse(r.stdout)).toEqual({ file: out, shape: 'azure', format: '2021', lines: text.split('\n').length - 1 });
  });

  it.each([
    [['--peak', '10'], /peakPerMinute is for the 'zipf-poisson' shape/],
    [['--shape', 'zipf-poisson', '--total-per-minute', '10'], /totalPerMinute is for the 'azure' shape/],
    [['--shape', 'zipf-poisson', '--format', '2021'], /2021 format is generated from the 'azure' shape only/],
    [['--minutes', '2000'], /1 to 1440 in the 2019 format/],
    [['--format', '2019x'], /Allowed choices are 2019, 2021/],
    [['--total-per-minute', '-3'], /must be a positive number/],
  ])('%j is a usage error', async (args, message) => {
    const r = await cli(['trace', 'generate', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('punctual trace stats', () => {
  it('prints the figures beside the published ones, or JSON, for either format', async () => {
    const f2019 = path.join(dir, 'day.csv');
    fs.writeFileSync(f2019, generateAzureTrace({ functions: 300, minutes: 180, seed: 5 }));
    const human = await cli(['trace', 'stats', f2019]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/2019 format, 300 functions \(\d+ active\) in \d+ apps, 180 minutes/);
    expect(human.stdout).toMatch(/apps invoked at most once an hour \(mean\)\s+\d+\.\d %\s+45\.0 %/);
    const json = await cli(['--json', 'trace', 'stats', f2019]);
    const s = JSON.parse(json.stdout) as { format: string; functions: number; minutes: number };
    expect([s.format, s.functions, s.minutes]).toEqual(['2019', 300, 180]);
    const f2021 = path.join(dir, 'inv2.csv');
    fs.writeFileSync(f2021, generateAzureTrace({ format: '2021', functions: 30, minutes: 6, totalPerMinute: 50, seed: 5 }));
    const s21 = JSON.parse((await cli(['--json', 'trace', 'stats', f2021])).stdout) as { format: string; minutes: number };
    expect(s21.format).toBe('2021');
    expect(s21.minutes).toBeLessThanOrEqual(6);
  });

  it('a missing file is a usage error; a malformed one fails with its line', async () => {
    const missing = await cli(['trace', 'stats', path.join(dir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'HashOwner,HashApp,HashFunction,1,2\no,a,f,1\n');
    const r = await cli(['--json', 'trace', 'stats', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/line 2: expected 5 fields as in the header, found 4/);
  });
});
