// Which runs start from the bundle (cli/fast-path.ts): exactly those whose
// command, as the program itself reads argv (commandRun), is a bundled one.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import type { CliContext } from './context.js';
import { BUNDLED_COMMANDS, bundledCommand, GLOBAL_FLAGS, GLOBAL_VALUE_OPTIONS } from './fast-path.js';
import { buildProgram, commandRun, COMMANDS } from './program.js';

const ctx = (): CliContext => ({ io: { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: os.tmpdir() }, exitCode: 0 });

describe('bundledCommand', () => {
  it('knows the program global options, each as taking a value or not', async () => {
    const program = await buildProgram(ctx(), []);
    const longs = program.options.map((o) => [o.long, o.required || o.optional] as const);
    expect(longs.filter(([, value]) => value).map(([l]) => l).sort()).toEqual([...GLOBAL_VALUE_OPTIONS].sort());
    expect(longs.filter(([, value]) => !value).map(([l]) => l).sort()).toEqual([...GLOBAL_FLAGS].sort());
  });

  it('bundles only commands the program has', () => {
    const names = COMMANDS.map(([n]) => n);
    for (const c of BUNDLED_COMMANDS) expect(names).toContain(c);
  });

  it.each([
    [['status', '--json'], true],
    [['--json', 'status'], true],
    [['--controller', '127.0.0.1:7001', 'models', 'list'], true],
    [['--controller=127.0.0.1:7001', '--tls-ca', 'ca.pem', 'infer', 'det'], true],
    [['--token', 'status', 'infer'], true], // the token's value is no command
    [['--token', 'status', 'up'], false],
    [['models', '--help'], true], // a bundled command's own help
    [['ring', 'show'], true],
    [['up'], false],
    [['controller', '--port', '0'], false],
    [['--json', 'trace', 'status'], false],
    [[], false],
    [['--help'], false],
    [['-h', 'status'], false],
    [['help', 'status'], false],
    [['--bogus', 'status'], false],
    [['--', 'status'], false],
    [['--json=1', 'status'], true], // as commandRun reads it; commander then judges the value
    [['--controller'], false],
    [['-'], false],
  ])('%j: %s, as the program reads it', async (argv, bundled) => {
    expect(bundledCommand(argv)).toBe(bundled);
    const command = commandRun(await buildProgram(ctx(), []), argv);
    expect(command !== undefined && BUNDLED_COMMANDS.has(command)).toBe(bundled);
  });
});
