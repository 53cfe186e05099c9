// punctual.v1.Inference: validates a request (model, inputs, SLO), hands it
// to the serving core, and answers with outputs and server-side timings.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import { invalidArgument, PunctualError, toServiceError } from '../../common/errors.js';
import { MAX_SLO_MS } from '../../common/model-config.js';
import { validateInputs } from '../../common/tensor.js';
import type { InferenceHandlers, InferRequest__Output, InferResponse } from '../../common/wire.js';
import { arrivalOf, sloFromArrival } from '../arrival.js';
import type { ServingCore } from '../serving-core.js';

/** A request's own slo_ms, checked, or undefined when it has none. */
export function ownSloMs(req: InferRequest__Output): number | undefined {
  if (req._sloMs !== 'sloMs' || req.sloMs === undefined) return undefined;
  const slo = req.sloMs;
  if (!Number.isFinite(slo) || slo <= 0) throw invalidArgument(`slo_ms must be a positive number of milliseconds, got ${slo}`);
  if (slo > MAX_SLO_MS) throw invalidArgument(`slo_ms ${slo} is absurd: at most ${MAX_SLO_MS} ms (one hour) is accepted`);
  return slo;
}

export function inferenceService(core: ServingCore, clock: Clock): InferenceHandlers {
  return {
    Infer: (call: grpc.ServerUnaryCall<InferRequest__Output, InferResponse>, callback: grpc.sendUnaryData<InferResponse>) => {
      const arrival = arrivalOf(call.metadata, clock);
      core.noteIntake(arrival);
      try {
        const req = call.request;
        const { model, slo, inputs } = core.beforeAdmission(() => {
          const model = core.registry.resolve(req.model, req.version);
          const slo = sloFromArrival(ownSloMs(req), call.getDeadline(), model.config.defaultSloMs, arrival, clock);
          const inputs = validateInputs(
            model.config.name,
            model.config.inputs,
            req.inputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: t.data })),
          );
          return { model, slo, inputs };
        });
        core.submit(model, inputs, slo, arrival).then(
          (a) =>
            callback(null, {
              model: model.config.name,
              version: model.config.version,
              outputs: a.outputs,
              timings: { queueMs: a.queueMs, execMs: a.execMs, totalMs: a.totalMs },
              batchSize: a.batchSize,
              worker: a.worker,
              executor: a.executor,
            }),
          (err: unknown) => callback(toServiceError(err)),
        );
      } catch (err) {
        if (!(err instanceof PunctualError)) core.unexpected('Infer', err);
        callback(toServiceError(err));
      }
    },
  };
}
