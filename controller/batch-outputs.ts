// A finished batch's outputs, one slice per request. The worker sends the
// outputs of the inline rows only, concatenated along the batch axis: a
// staged row's (the data plane) went to its client, and a staged row whose
// tensors never came is reported missing (ActionResult.missing_rows).
import { splitBatch, type WireTensor } from '../common/tensor.js';
import { booked } from './request-book.js';
import type { SchedRequest } from './scheduler/types.js';

/** A request's slice: its outputs ([] for a staged row, whose went to its client), or 'missing'. */
export type RequestOutputs = WireTensor[] | 'missing';

/** Each request's slice of `outputs`, in the batch's order. Throws when the outputs do not split into the inline rows. */
export function outputsByRequest(requests: readonly SchedRequest[], outputs: readonly WireTensor[], missingRows: readonly number[]): RequestOutputs[] {
  // Each row's index among the inline rows, or -1 for a staged row.
  let k = 0;
  const inlineRow = requests.map((r) => (booked(r).staged ? -1 : k++));
  const perRequest: WireTensor[][] = outputs.length > 0 ? splitBatch([...outputs], k) : Array.from({ length: k }, () => []);
  const missing = new Set(missingRows);
  return requests.map((_, i) => (missing.has(i) ? 'missing' : inlineRow[i]! >= 0 ? (perRequest[inlineRow[i]!] ?? []) : []));
}
