// punctual.v1.Inference: validates a request (model, inputs, SLO) before
// admission, hands it to the serving core, and answers with outputs and
// server-side timings. Served through services/server-call.ts.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import { invalidArgument } from '../../common/errors.js';
import { MAX_SLO_MS } from '../../common/model-config.js';
import { validateInputs } from '../../common/tensor.js';
import type { InferenceHandlers, InferRequest__Output, InferResponse } from '../../common/wire.js';
import { sloFromArrival } from '../arrival.js';
import type { ServingCore } from '../serving-core.js';
import { admitted, type ServiceImpl, type ServiceRoles } from './server-call.js';

/** A request's own slo_ms, checked, or undefined when it has none. */
export function ownSloMs(req: InferRequest__Output): number | undefined {
  if (req._sloMs !== 'sloMs' || req.sloMs === undefined) return undefined;
  const slo = req.sloMs;
  if (!Number.isFinite(slo) || slo <= 0) throw invalidArgument(`slo_ms must be a positive number of milliseconds, got ${slo}`);
  if (slo > MAX_SLO_MS) throw invalidArgument(`slo_ms ${slo} is absurd: at most ${MAX_SLO_MS} ms (one hour) is accepted`);
  return slo;
}

/** Inference takes the infer token (or the admin token) when one is set. */
export const INFERENCE_ROLES: ServiceRoles<InferenceHandlers> = { Infer: 'infer' };

export function inferenceService(core: ServingCore, clock: Clock): ServiceImpl<InferenceHandlers> {
  return {
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
      run: async ({ model, slo, inputs }, _req, arrival): Promise<InferResponse> => {
        const a = await core.submit(model, inputs, slo, arrival);
        return {
          model: model.config.name,
          version: model.config.version,
          outputs: a.outputs,
          timings: { queueMs: a.queueMs, execMs: a.execMs, totalMs: a.totalMs },
          batchSize: a.batchSize,
          worker: a.worker,
          executor: a.executor,
        };
      },
    }),
  };
}
