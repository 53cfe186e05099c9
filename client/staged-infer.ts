// One request over the data plane (issue 13 point 3): Admit carries only what
// its inputs declare; the controller admits and schedules it, and at its
// dispatch names the worker and the ticket (StageAt); the tensors go to that
// worker's data port (client/data-channel.ts), its outputs come back on that
// connection, and the Admit stream ends with the request's timings (done).
// A dispatch lost with its worker is followed by another StageAt: the
// tensors are sent again there. The request's outcome is the stream's: its
// error status, or done with the outputs of the last ticket's answer.
import * as grpc from '@grpc/grpc-js';
import type { AdmitEvent__Output, AdmitRequest, InferRequest, InferResponse__Output } from '../common/wire.js';
import type { InferenceClient } from '../protos/generated/punctual/v1/Inference.js';
import type { DataAnswer, DataChannels } from './data-channel.js';
import { cancelledByCaller, fromServiceError, PunctualClientError } from './errors.js';

/** How long after its window closes a staged request's answer may still come (its batch's run), ms. */
const ANSWER_GRACE_MS = 30_000;

export interface StagedCall {
  inference: InferenceClient;
  channels: DataChannels;
  metadata: grpc.Metadata;
  deadlineMs: number | undefined;
  signal: AbortSignal | undefined;
  /** For messages: the controller. */
  address: string;
}

/** Runs `request` through Admit and the data plane; resolves as Infer would, outputs included. */
export function stagedInfer(c: StagedCall, request: InferRequest): Promise<InferResponse__Output> {
  const inputs = request.inputs ?? [];
  const admit: AdmitRequest = {
    model: request.model ?? '',
    version: request.version ?? 0,
    inputs: inputs.map((t) => ({ name: t.name ?? '', dtype: t.dtype ?? '', shape: (t.shape ?? []).map(Number) })),
    ...(request.sloMs !== undefined ? { sloMs: request.sloMs } : {}),
  };
  const tensors = inputs.map((t) => ({ name: t.name ?? '', dtype: t.dtype ?? '', shape: (t.shape ?? []).map(Number), data: t.data as Uint8Array }));
  return new Promise((resolve, reject) => {
    if (c.signal?.aborted) {
      reject(cancelledByCaller(c.signal));
      return;
    }
    const callOptions: grpc.CallOptions = c.deadlineMs === undefined ? {} : { deadline: Date.now() + c.deadlineMs };
    const call = c.inference.Admit(admit, c.metadata, callOptions);
    let answer: Promise<DataAnswer> | undefined;
    let done: InferResponse__Output | undefined;
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      c.signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = (): void => call.cancel();
    c.signal?.addEventListener('abort', onAbort, { once: true });
    call.on('data', (ev: AdmitEvent__Output) => {
      if (ev.stage) {
        const a = c.channels.stage(ev.stage.dataAddress, ev.stage.ticket, tensors, ev.stage.windowMs + ANSWER_GRACE_MS, ev.stage.tls);
        a.catch(() => undefined); // a later StageAt may replace it; the stream says how the request ends
        answer = a;
      } else if (ev.done) {
        done = ev.done;
      }
    });
    call.on('error', (err: grpc.ServiceError) => {
      finish(() =>
        reject(c.signal?.aborted && err.code === grpc.status.CANCELLED ? cancelledByCaller(c.signal) : fromServiceError(err, c.address)),
      );
    });
    call.on('end', () => {
      const d = done;
      const a = answer;
      if (!d || !a) {
        finish(() => reject(new PunctualClientError(grpc.status.INTERNAL, `the controller at ${c.address} ended the Admit stream without ${d ? 'naming a worker' : 'an answer'}`)));
        return;
      }
      a.then(
        (got) => finish(() => resolve({ ...d, outputs: got.outputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength) })) })),
        (err: unknown) => finish(() => reject(err)),
      );
    });
  });
}
