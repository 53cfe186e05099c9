// Readable forms of the model admin calls for `punctual models …` and
// `punctual profile`: model lists, one model's versions with profiles, and a
// profile table (per executor class and batch size, plus the thread trial).
import type { DescribeModelResponse__Output, ListModelsResponse__Output, ModelInfo__Output, ProfileInfo__Output, RegisterModelResponse__Output } from '../common/wire.js';
import { formatBytes, formatMs, formatShape, painter, renderTable } from './format.js';
import { estimatesLine } from './status-view.js';

function inputs(m: ModelInfo__Output): string {
  return m.inputs.map((s) => `${s.name} ${s.dtype}${formatShape(s.shape)}`).join(', ') || '-';
}

export function renderModelList(models: readonly ModelInfo__Output[]): string {
  if (models.length === 0) return 'no models registered';
  const rows = models.map((m) => [
    m.name,
    String(m.version),
    inputs(m),
    String(m.maxBatch),
    formatMs(m.defaultSloMs),
    formatBytes(m.sizeBytes),
    m.loadedOn.join(', ') || '-',
    `${m.requestsOk}/${m.requestsRejected}/${m.requestsFailed}`,
  ]);
  return renderTable(['NAME', 'VERSION', 'INPUTS', 'MAX BATCH', 'SLO', 'SIZE', 'LOADED ON', 'OK/REJ/FAIL'], rows, '');
}

/** One page of `models list --limit`: the table, then how many there are and how to get the next page. */
export function renderModelPage(page: ListModelsResponse__Output): string {
  const out = [page.models.length > 0 ? renderModelList(page.models) : 'no models on this page'];
  const of = page.total > 0 ? ` of ${page.total}` : '';
  out.push(page.nextPageToken ? `${page.models.length}${of} shown; the next ones: punctual models list --limit ${page.models.length} --page-token ${page.nextPageToken}` : `${page.models.length}${of} shown; the last page`);
  return out.join('\n');
}

export function renderProfile(p: ProfileInfo__Output | null | undefined): string {
  if (!p) return '  no stored profile';
  const out: string[] = [`  measured ${p.measuredAt} on ${p.host}; memory ${formatBytes(p.memoryBytes)}`];
  const rows = p.classes.flatMap((c) =>
    c.batches.map((b) => [c.executorClass, String(c.threads), String(b.batchSize), formatMs(b.meanMs), formatMs(b.p50Ms), formatMs(b.p99Ms), formatMs(b.maxMs), String(b.iterations), formatMs(c.loadMs)]),
  );
  out.push(renderTable(['CLASS', 'THREADS', 'BATCH', 'MEAN', 'P50', 'P99', 'MAX', 'RUNS', 'LOAD'], rows));
  if (p.threadTrials.length > 0) {
    out.push('  intra-op threads at batch 1:');
    out.push(
      renderTable(
        ['THREADS', 'P50', 'P99', ''],
        p.threadTrials.map((t) => [String(t.threads), formatMs(t.p50Ms), formatMs(t.p99Ms), t.threads === p.bestThreads ? '← best (lowest p99)' : '']),
      ),
    );
  }
  return out.join('\n');
}

export function renderDescribe(d: DescribeModelResponse__Output, color = false): string {
  const paint = painter(color);
  const out: string[] = [];
  for (const v of d.versions) {
    const m = v.info;
    if (!m) continue;
    out.push(`${paint('bold', `${d.name} v${m.version}`)}${v.isDefault ? ' (default)' : ''}  ${formatBytes(m.sizeBytes)}  sha256 ${v.sha256.slice(0, 16)}…`);
    out.push(`  inputs      ${inputs(m)}`);
    out.push(`  outputs     ${m.outputs.map((s) => `${s.name} ${s.dtype}${formatShape(s.shape)}`).join(', ') || '-'}`);
    out.push(`  batching    max ${m.maxBatch}, sizes ${m.batchSizes.join(', ')}; default SLO ${formatMs(m.defaultSloMs)}`);
    out.push(`  loaded on   ${m.loadedOn.join(', ') || 'nowhere'}; memory ${formatBytes(m.memoryBytes)}, load ${formatMs(m.loadMs)}`);
    out.push(`  requests    ok ${m.requestsOk}, rejected ${m.requestsRejected}, failed ${m.requestsFailed}, queued ${m.queued}`);
    out.push(`  estimates   ${estimatesLine(m)} (mean–p99 of recent runs)`);
    if (m.admissionReserveMs > 0) out.push(`  reserve     ${formatMs(m.admissionReserveMs)}: admission adds it (at most 30 % of the SLO), as recent answers came up to that much later than predicted`);
    const best = v.profile?.bestThreads ? `; ${v.profile.bestThreads} gave the lowest p99` : '';
    if (m.threads) out.push(`  threads     sessions at ${m.threads} intra-op thread(s), at most each worker's --threads${best}`);
    else if (best) out.push(`  threads     ${v.profile!.bestThreads} intra-op thread(s) gave the lowest p99`);
    out.push('  profile');
    out.push(renderProfile(v.profile).replace(/^/gm, '  '));
  }
  return out.join('\n');
}

export function renderRegistered(r: RegisterModelResponse__Output): string {
  const line = (m: ModelInfo__Output): string => `registered ${m.name} v${m.version}: ${inputs(m)}, max batch ${m.maxBatch}, default SLO ${formatMs(m.defaultSloMs)}`;
  // Thousands of copies: the first, the last, and how many between.
  const many = r.models.length > 6;
  const lines = many ? [line(r.models[0]!), `… ${r.models.length - 2} more copies …`, line(r.models[r.models.length - 1]!), `${r.models.length} models registered`] : r.models.map(line);
  if (r.replaced.length > 0) lines.push(`replaced ${r.replaced.join(', ')} (drained, then unloaded)`);
  lines.push(`servable ${formatMs(r.readyMs)} after the upload`);
  return lines.join('\n');
}
