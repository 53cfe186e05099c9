// `punctual status`: Admin.ClusterStatus as a readable table, or as JSON:
// workers and executors, a summary of every model, and one page of models
// (50 by default, in key order; --page-token for the next, --all for every one).
import { Option, type Command } from 'commander';
import { PunctualClient, type ClusterStatus } from '../../client/client.js';
import { LIST_PAGE_SIZE } from '../../client/admin.js';
import { integerIn } from '../args.js';
import { clientOptions, globalsOf, interactive, type CliContext } from '../context.js';
import { renderStatusHuman } from '../status-view.js';

/** Models one `punctual status` shows unless told otherwise. */
export const STATUS_PAGE_SIZE = 50;

interface StatusFlags {
  limit: number;
  pageToken?: string;
  all?: boolean;
}

/** Every model, read a page at a time; the workers and summary are the last page's. */
async function statusOfAll(client: PunctualClient): Promise<ClusterStatus> {
  let st = await client.clusterStatus({ pageSize: LIST_PAGE_SIZE });
  const models = [...st.models];
  while (st.nextPageToken) {
    const token = st.nextPageToken;
    st = await client.clusterStatus({ pageSize: LIST_PAGE_SIZE, pageToken: token });
    models.push(...st.models);
    if (st.nextPageToken === token) break;
  }
  return { ...st, models, nextPageToken: '' };
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('workers, executors and models of the cluster')
    .addOption(new Option('--limit <n>', 'models to show (in key order), with a summary of all').argParser(integerIn(1, 100_000)).default(STATUS_PAGE_SIZE))
    .option('--page-token <token>', 'start after this model: the token the previous page ended with')
    .option('--all', 'every model (read a page at a time)')
    .action(async (flags: StatusFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const client = new PunctualClient(g.controller, clientOptions(g));
      try {
        const st = flags.all ? await statusOfAll(client) : await client.clusterStatus({ pageSize: flags.limit, ...(flags.pageToken ? { pageToken: flags.pageToken } : {}) });
        ctx.io.stdout.write(
          g.json ? JSON.stringify(st, null, 2) + '\n' : renderStatusHuman(st, g.controller, interactive(ctx.io.stdout, g)) + '\n',
        );
        ctx.exitCode = 0;
      } finally {
        client.close();
      }
    });
}
