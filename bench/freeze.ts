// A frozen worker (issue 9): two real workers serve cls under a steady open
// load; one is stopped with SIGSTOP for a while and then continued. What it
// costs: the goodput the cluster lost against its rate before the freeze,
// expressed in seconds of the other worker's goodput (the target: at most
// 1 s), plus how many answers came after their SLO, and whether the frozen
// worker serves again after it thaws.
import { PunctualClient } from '../client/client.js';
import { PunctualClientError } from '../client/errors.js';
import { randomInputs } from '../traces/random-input.js';
import { startLocalCluster } from '../cli/local-cluster.js';
import { tempRepo, type Figure } from './support.js';

interface Sent {
  at: number;
  ok: boolean;
  within: boolean;
  worker: string;
  status: string;
}

const SLO_MS = 100;

export async function runFreezeBench(opts: { rate: number; freezeSeconds: number; before: number; after: number }): Promise<Figure[]> {
  const { dir, cleanup } = await tempRepo(['cls']);
  const cluster = await startLocalCluster({ repo: dir, policy: 'punctual', workers: 2 });
  const client = new PunctualClient(cluster.address);
  const sent: Sent[] = [];
  const pending = new Set<Promise<void>>();
  try {
    const info = (await client.listModels()).find((m) => m.name === 'cls')!;
    const input = randomInputs(info.inputs);
    const t0 = performance.now();
    const total = (opts.before + opts.freezeSeconds + opts.after) * 1000;
    const frozen = cluster.workers[0]!;
    let frozenAt = NaN;
    let thawedAt = NaN;
    await new Promise<void>((done) => {
      let next = 0;
      const tick = (): void => {
        const now = performance.now() - t0;
        while (next <= now && next < total) {
          const at = next;
          next += 1000 / opts.rate;
          const p = client.infer('cls', input, { sloMs: SLO_MS, deadlineMs: SLO_MS + 5000 }).then(
            (r) => void sent.push({ at, ok: true, within: r.latencyMs <= SLO_MS, worker: r.worker, status: 'OK' }),
            (err: unknown) => void sent.push({ at, ok: false, within: false, worker: '', status: err instanceof PunctualClientError ? err.statusName : 'ERROR' }),
          );
          pending.add(p);
          void p.finally(() => pending.delete(p));
        }
        if (Number.isNaN(frozenAt) && now >= opts.before * 1000) {
          frozen.kill('SIGSTOP');
          frozenAt = now;
        }
        if (Number.isNaN(thawedAt) && now >= (opts.before + opts.freezeSeconds) * 1000) {
          frozen.kill('SIGCONT');
          thawedAt = now;
        }
        if (next >= total) done();
        else setTimeout(tick, 2);
      };
      tick();
    });
    await Promise.all([...pending]);
    const rateIn = (from: number, to: number, f: (s: Sent) => boolean): number => sent.filter((s) => s.at >= from && s.at < to && f(s)).length / ((to - from) / 1000);
    const warm = 1000;
    const baseline = rateIn(warm, frozenAt, (s) => s.within);
    const workers = [...new Set(sent.filter((s) => s.ok).map((s) => s.worker))];
    const otherName = workers.find((w) => sent.some((s) => s.at > frozenAt + 3000 && s.at < thawedAt && s.worker === w)) ?? '';
    const otherBefore = rateIn(warm, frozenAt, (s) => s.within && s.worker === otherName);
    const during = sent.filter((s) => s.at >= frozenAt && s.at < thawedAt);
    const deficit = Math.max(0, baseline * ((thawedAt - frozenAt) / 1000) - during.filter((s) => s.within).length);
    const after = sent.filter((s) => s.at >= thawedAt + 2000);
    const frozenServesAgain = after.some((s) => s.ok && s.worker !== otherName);
    const late = sent.filter((s) => s.ok && !s.within).length;
    const failed = during.filter((s) => !s.ok);
    return [
      { name: `frozen worker: cluster goodput before the freeze (${opts.rate} req/s of cls offered, 2 workers)`, value: baseline, unit: 'req/s', note: `the other worker ${otherBefore.toFixed(0)} req/s of it` },
      {
        name: `frozen worker (SIGSTOP ${opts.freezeSeconds} s): goodput lost, in seconds of the other worker's goodput`,
        value: otherBefore > 0 ? deficit / otherBefore : NaN,
        unit: 's',
        target: '≤ 1 s',
        note: `${deficit.toFixed(0)} requests short of the rate before; failed while frozen: ${failed.length} (${[...new Set(failed.map((f) => f.status))].join(', ') || 'none'}); answered after their SLO in the whole run: ${late}`,
      },
      { name: 'frozen worker: serves again after it thaws', value: frozenServesAgain ? 1 : 0, unit: 'yes=1', note: `${after.filter((s) => s.ok && s.worker !== otherName).length} of the answers from 2 s after the thaw came from it` },
    ];
  } finally {
    await Promise.all([...pending]);
    client.close();
    await cluster.close();
    cleanup();
  }
}
