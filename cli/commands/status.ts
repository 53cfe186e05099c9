// `punctual status`: Admin.ClusterStatus as a readable table, or as JSON:
// workers and executors, a summary of every model, and one page of models
// (50 by default, in key order; --page-token for the next, --all for every one).
// In a ring of controllers, every member's, each under its name
// (cli/ring-route.ts; --json: {ring, controllers: [{controller, status}]}).
import { Option, type Command } from 'commander';
import { PunctualClient, type ClusterStatus } from '../../client/client.js';
import { LIST_PAGE_SIZE } from '../../client/admin.js';
import { integerIn } from '../args.js';
import { clientOptions, globalsOf, interactive, type CliContext } from '../context.js';
import { renderStatusHuman } from '../status-view.js';
import { learnRoute, memberLabel, onEach, onRingToken, writeEach } from '../ring-route.js';

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
      const statusOf = (client: PunctualClient): Promise<ClusterStatus> =>
        flags.all ? statusOfAll(client) : client.clusterStatus({ pageSize: flags.limit, ...(flags.pageToken ? { pageToken: flags.pageToken } : {}) });
      // One connection to --controller: its status is asked for while it says whether it is in a ring.
      const home = new PunctualClient(g.controller, clientOptions(g));
      const fromHome = statusOf(home);
      fromHome.catch(() => {}); // awaited below, unless a ring dials every member elsewhere
      const statusAt = async (address: string): Promise<ClusterStatus> => {
        if (address === g.controller) return fromHome;
        const client = new PunctualClient(address, clientOptions(g));
        try {
          return await statusOf(client);
        } finally {
          client.close();
        }
      };
      try {
        const route = await learnRoute(g, home);
        if (route.ring) {
          // One --page-token for every member: each page that has more names the ring's next token.
          const { outcomes, next } = onRingToken(await onEach(route.members, (m) => statusAt(m.address)));
          writeEach(ctx, g, route.ring, 'status', outcomes, (st, m) => renderStatusHuman(st, memberLabel(m), interactive(ctx.io.stdout, g)), {
            headed: false,
            extra: next ? { nextPageToken: next } : {},
          });
          return;
        }
        const st = await fromHome;
        ctx.io.stdout.write(g.json ? JSON.stringify(st, null, 2) + '\n' : renderStatusHuman(st, g.controller, interactive(ctx.io.stdout, g)) + '\n');
        ctx.exitCode = 0;
      } finally {
        home.close();
      }
    });
}
