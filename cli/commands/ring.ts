// `punctual ring show|rebalance`: the ring of controllers and moving models to their owners.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerRing(program: Command, _ctx: CliContext): void {
  program.command('ring').description('the ring of controllers: show it, move models to their owners');
}
