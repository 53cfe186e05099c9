// `punctual status`: Admin.ClusterStatus as a readable table, or as JSON.
import type { Command } from 'commander';
import { PunctualClient } from '../../client/client.js';
import { clientOptions, globalsOf, interactive, type CliContext } from '../context.js';
import { renderStatusHuman } from '../status-view.js';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('workers, executors and models of the cluster')
    .action(async (_flags: object, cmd: Command) => {
      const g = globalsOf(cmd);
      const client = new PunctualClient(g.controller, clientOptions(g));
      try {
        const st = await client.clusterStatus();
        ctx.io.stdout.write(
          g.json ? JSON.stringify(st, null, 2) + '\n' : renderStatusHuman(st, g.controller, interactive(ctx.io.stdout, g)) + '\n',
        );
        ctx.exitCode = 0;
      } finally {
        client.close();
      }
    });
}
