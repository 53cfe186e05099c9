// The program loads the one command a run names, and that command then reads
// and answers as it does among all the others: the same name, the same help,
// in the order `punctual --help` lists them.
import os from 'node:os';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliContext } from './context.js';
import { buildProgram, commandRun, COMMANDS } from './program.js';

const ctx = (): CliContext => ({ io: { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: os.tmpdir() }, exitCode: 0 });
const names = (program: Command): string[] => program.commands.map((c) => c.name());

/** Help of a command and of each of its subcommands. */
function helpOf(cmd: Command): string[] {
  return [cmd.helpInformation(), ...cmd.commands.flatMap(helpOf)];
}

describe('commandRun', () => {
  it.each([
    [['status', '--json'], 'status'],
    [['--json', 'status'], 'status'],
    [['--controller', '127.0.0.1:7001', 'models', 'list'], 'models'],
    [['--controller=127.0.0.1:7001', '--tls-ca', 'ca.pem', 'infer', 'det'], 'infer'],
    [['--token', 'status', 'infer'], 'infer'], // the token's value is no command
    [['--json', 'trace', 'status'], 'trace'],
  ])('%j runs %s', async (argv, command) => {
    expect(commandRun(await buildProgram(ctx(), []), argv)).toBe(command);
  });

  it.each([[[]], [['--help']], [['-h', 'status']], [['--help', 'status']], [['help', 'status']], [['nosuch']], [['--bogus', 'status']], [['--', 'status']], [['--controller']], [['--json']], [['-']]])(
    '%j names no command (every one is loaded)',
    async (argv) => {
      expect(commandRun(await buildProgram(ctx(), []), argv)).toBeUndefined();
    },
  );
});

describe('buildProgram', () => {
  it('registers every command, in the listed order, when no command is named', async () => {
    const all = await buildProgram(ctx());
    expect(names(all)).toEqual(COMMANDS.map(([name]) => name));
    expect(names(await buildProgram(ctx(), ['--help']))).toEqual(names(all));
  });

  it.each(COMMANDS.map(([name]) => name))('loads only %s for a run of it, with the help it has among all the others', async (name) => {
    const alone = await buildProgram(ctx(), [name, '--help']);
    expect(names(alone)).toEqual([name]);
    const among = (await buildProgram(ctx())).commands.find((c) => c.name() === name)!;
    expect(helpOf(alone.commands[0]!)).toEqual(helpOf(among));
  });
});
