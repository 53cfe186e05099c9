// punctual.v1.Inference: validates a request (model, inputs, SLO) before
// admission, hands it to the serving core, and answers with outputs and
// server-side timings. Served through services/server-call.ts.
//
// Admit is the data plane's way in (issue 13 point 3): the same checks on
// what the inputs declare (their bytes are not here), the same admission,
// and the stream says, at each dispatch, where the client sends the tensors
// (StageAt), then ends with the timings (done). The outputs go from the
// worker to the client; the controller never holds the tensors.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import { invalidArgument, unavailable } from '../../common/errors.js';
import { MAX_SLO_MS } from '../../common/model-config.js';
import { checkDeclaredInputs, checkShape, validateInputs } from '../../common/tensor.js';
import type { AdmitEvent, AdmitRequest__Output, InferenceHandlers, InferRequest__Output, InferResponse } from '../../common/wire.js';
import { arrivalOf, sloFromArrival } from '../arrival.js';
import type { InferAnswer, StagedInput } from '../request-book.js';
import type { ServingCore } from '../serving-core.js';
import { admitted, type ServiceImpl, type ServiceRoles } from './server-call.js';

/** A request's own slo_ms, checked, or undefined when it has none. */
export function ownSloMs(req: Pick<InferRequest__Output, 'sloMs' | '_sloMs'>): number | undefined {
  if (req._sloMs !== 'sloMs' || req.sloMs === undefined) return undefined;
  const slo = req.sloMs;
  if (!Number.isFinite(slo) || slo <= 0) throw invalidArgument(`slo_ms must be a positive number of milliseconds, got ${slo}`);
  if (slo > MAX_SLO_MS) throw invalidArgument(`slo_ms ${slo} is absurd: at most ${MAX_SLO_MS} ms (one hour) is accepted`);
  return slo;
}

/** Inference takes the infer token (or the admin token) when one is set. */
export const INFERENCE_ROLES: ServiceRoles<InferenceHandlers> = { Infer: 'infer', Admit: 'infer' };

/** What Infer answers, from what the core answered. */
function response(model: { config: { name: string; version: number } }, a: InferAnswer): InferResponse {
  return {
    model: model.config.name,
    version: model.config.version,
    outputs: a.outputs,
    timings: { queueMs: a.queueMs, execMs: a.execMs, totalMs: a.totalMs },
    batchSize: a.batchSize,
    worker: a.worker,
    executor: a.executor,
  };
}

export function inferenceService(core: ServingCore, clock: Clock): ServiceImpl<InferenceHandlers> {
  return {
    Admit: async (req: AdmitRequest__Output, call: grpc.ServerWritableStream<AdmitRequest__Output, AdmitEvent>): Promise<void> => {
      const arrival = arrivalOf(call.metadata, clock);
      core.noteIntake(arrival);
      const { model, slo } = core.beforeAdmission(() => {
        const off = core.dataPlaneRefusal();
        if (off) throw unavailable(`the data plane is not available: ${off}`, 'no_data_plane');
        const model = core.registry.resolve(req.model, req.version);
        const slo = sloFromArrival(ownSloMs(req), call.getDeadline(), model.config.defaultSloMs, arrival, clock);
        // Names, count and dtypes first (bounded by the model's inputs), then each declared shape.
        const declared = checkDeclaredInputs(model.config.name, model.config.inputs, req.inputs);
        for (const { input } of declared) checkShape(model.config.name, input.name, input.shape);
        return { model, slo };
      });
      const staged: StagedInput = { stage: (at) => void call.write({ stage: { ticket: at.ticket, dataAddress: at.dataAddress, windowMs: at.windowMs, tls: at.tls } }) };
      // A client that leaves costs its batch no wait for tensors that will not come: before its dispatch
      // the batch does not name it; after, its worker is told (Unstage).
      call.on('cancelled', () => {
        staged.cancelled = true;
        staged.withdraw?.();
      });
      const answer = await core.submitStaged(model, staged, slo, arrival);
      call.write({ done: response(model, answer) });
    },
    Infer: admitted({
      check: (req: InferRequest__Output, call: grpc.ServerUnaryCall<InferRequest__Output, InferResponse>, arrival) => {
        const model = core.registry.resolve(req.model, req.version);
        const slo = sloFromArrival(ownSloMs(req), call.getDeadline(), model.config.defaultSloMs, arrival, clock);
        const inputs = validateInputs(
          model.config.name,
          model.config.inputs,
          req.inputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: t.data })),
        );
        return { model, slo, inputs };
      },
      run: async ({ model, slo, inputs }, _req, arrival): Promise<InferResponse> => response(model, await core.submit(model, inputs, slo, arrival)),
    }),
  };
}
