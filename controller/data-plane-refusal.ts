// Why the data plane cannot serve now, in words its clients' operators can
// act on: a worker without a data port (its client would have nowhere to
// send), or, behind a TLS controller, a worker whose data port has no TLS (a
// client's tensors never go in the clear). ServingCore answers Admit with it
// (no_data_plane) and its clients use Infer.
import type { WorkerConnection } from './worker-connection.js';

/** "worker w1 has" / "workers w1, w2, w3, … have": at most three names. */
function theyHave(ws: readonly WorkerConnection[]): string {
  const names = `${ws.slice(0, 3).map((w) => w.name).join(', ')}${ws.length > 3 ? ', …' : ''}`;
  return ws.length === 1 ? `worker ${names} has` : `workers ${names} have`;
}

/** The refusal for these workers (those closed or draining left out), or undefined when the data plane can serve; `tls`: the controller's clients connect with TLS. */
export function dataPlaneRefusal(workers: Iterable<WorkerConnection>, tls: boolean): string | undefined {
  const serving = [...workers].filter((w) => !w.closed && !w.draining);
  if (serving.length === 0) return undefined; // submit answers that one (no worker connected)
  const without = serving.filter((w) => w.dataAddress === '');
  if (without.length > 0) return `${theyHave(without)} no data port (punctual worker --data-port); send the tensors with Infer`;
  const plain = tls ? serving.filter((w) => !w.dataTls) : [];
  if (plain.length > 0) return `this controller uses TLS and ${theyHave(plain)} a data port without it (punctual worker --data-tls-cert, --data-tls-key); send the tensors with Infer`;
  return undefined;
}
