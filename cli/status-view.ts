// The readable form of Admin.ClusterStatus for `punctual status`: workers
// with their executors, then a summary of every model and one page of models
// with shapes, batching, SLO and estimates (the next page's token after it).
import type { ClusterStatus, ModelInfo } from '../client/client.js';
import type { TensorSpec__Output } from '../common/wire.js';
import { formatBytes, formatMs, formatShape, painter, renderTable } from './format.js';

function specs(list: readonly TensorSpec__Output[]): string {
  return list.map((s) => `${s.name} ${s.dtype}${formatShape(s.shape)}`).join(', ') || '-';
}

/** "cpu/t1: b1 7.90–8.10 ms, b8 60.2 ms; cuda: …" (mean–p99, one figure when they agree), by executor class. */
export function estimatesLine(m: ModelInfo): string {
  const byClass = new Map<string, string[]>();
  for (const e of [...m.estimates].sort((a, b) => a.batchSize - b.batchSize)) {
    const list = byClass.get(e.executorClass) ?? [];
    const high = formatMs(e.execMs);
    const typical = e.typicalMs > 0 ? formatMs(e.typicalMs) : high;
    list.push(`b${e.batchSize} ${typical === high ? high : `${typical.replace(/ ms$/, '')}–${high}`}`);
    byClass.set(e.executorClass, list);
  }
  return [...byClass].map(([cls, list]) => `${cls}: ${list.join(', ')}`).join('; ') || 'not profiled yet';
}

/** "a@1, b@1, c@1, d@1, e@1, … (212)": what an executor holds, short whatever its count. */
export function someLoaded(keys: readonly string[], max = 5): string {
  if (keys.length === 0) return '-';
  return keys.length <= max ? keys.join(', ') : `${keys.slice(0, max).join(', ')}, … (${keys.length})`;
}

function summaryLine(st: ClusterStatus): string {
  const s = st.modelSummary;
  if (!s) return `(${st.models.length})`;
  const files = s.distinctFiles > 0 ? `; ${s.distinctFiles} distinct file${s.distinctFiles === 1 ? '' : 's'}, ${formatBytes(s.distinctBytes)}` : '';
  return `(${s.models} registered, ${s.names} name${s.names === 1 ? '' : 's'}; ${s.loaded} loaded; ${s.queued} queued; ok/rej/fail ${s.requestsOk}/${s.requestsRejected}/${s.requestsFailed}${files})`;
}

export function renderStatusHuman(st: ClusterStatus, address: string, color = false): string {
  const paint = painter(color);
  const out: string[] = [];
  out.push(`${paint('bold', 'controller')} ${address}  up ${st.uptimeS.toFixed(1)} s${st.policy ? `  policy ${st.policy}` : ''}`);
  out.push('');
  out.push(`${paint('bold', 'workers')} (${st.workers.length})`);
  if (st.workers.length === 0) out.push(`  ${paint('yellow', 'none connected')}`);
  else {
    const rows = st.workers.flatMap((w) =>
      w.executors.map((e) => [
        `${w.name || w.id}${w.draining ? ` ${paint('yellow', '(draining)')}` : ''}${w.unresponsive ? ` ${paint('red', '(not answering)')}` : e.suspended ? ` ${paint('yellow', '(set aside)')}` : ''}`,
        String(e.index),
        e.device,
        e.executorClass || '-',
        String(e.threads),
        `${formatBytes(e.memoryUsedBytes)} / ${formatBytes(e.memoryBudgetBytes)}`,
        someLoaded(e.loaded),
        `${e.actionsCompleted} (${e.loads}/${e.unloads})`,
        formatMs(w.rttMs),
      ]),
    );
    out.push(renderTable(['WORKER', 'EXEC', 'DEVICE', 'CLASS', 'THREADS', 'MEMORY USED / BUDGET', 'LOADED', 'ACTIONS (LOADS/UNLOADS)', 'RTT'], rows));
  }
  out.push('');
  out.push(`${paint('bold', 'models')} ${summaryLine(st)}`);
  if (st.models.length === 0 && !st.nextPageToken) out.push(`  ${paint('yellow', (st.modelSummary?.models ?? 0) > 0 ? 'none on this page' : 'none registered')}`);
  else {
    const rows = st.models.map((m) => [
      m.name,
      String(m.version),
      specs(m.inputs),
      specs(m.outputs),
      String(m.maxBatch),
      formatMs(m.defaultSloMs),
      m.loadedOn.join(', ') || '-',
      `${m.requestsOk}/${m.requestsRejected}/${m.requestsFailed}`,
      String(m.queued),
      m.admissionReserveMs > 0 ? formatMs(m.admissionReserveMs) : '-',
    ]);
    out.push(renderTable(['MODEL', 'VERSION', 'INPUTS', 'OUTPUTS', 'MAX BATCH', 'DEFAULT SLO', 'LOADED ON', 'OK/REJ/FAIL', 'QUEUED', 'RESERVE'], rows));
    out.push('');
    out.push(`${paint('bold', 'estimates')} (exec time of recent runs, mean–p99, by executor class and batch size)`);
    out.push(renderTable(['MODEL', 'ESTIMATES'], st.models.map((m) => [`${m.name}@${m.version}`, estimatesLine(m)])));
  }
  if (st.nextPageToken) {
    const total = st.modelSummary?.models;
    out.push('');
    out.push(
      `${st.models.length}${total !== undefined ? ` of ${total}` : ''} models shown; the next ones: ${paint('bold', `punctual status --page-token ${st.nextPageToken}`)} (--all for every model, or punctual models list)`,
    );
  }
  return out.join('\n');
}
