// When a request arrived: the moment its headers reached the controller,
// before its body (a det tensor is 602 KB) has crawled in. A request's SLO
// clock starts then, so under load the time its bytes spend queued on the
// way in counts against its deadline, and "accepted" means "can be answered
// in time at the client", not "in time after the controller finally read
// it". The early-admission gate (controller/early-admission.ts) stamps the
// time into each stream's headers as they arrive, overwriting whatever a
// client sent under that key; where the gate cannot run, a server
// interceptor does the same a moment later. The handlers read it back.
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../common/clock.js';

/** Metadata key the stamp travels under, inside the controller only. */
export const ARRIVAL_KEY = 'punctual-arrival-ms';

/**
 * Stamps every call's metadata with the time its headers arrived. Where the
 * early-admission gate runs in front of grpc-js (`stampedEarlier` true) it
 * has stamped the headers already, earlier than grpc-js sees them, and
 * removed any value a client sent; the stamp is then left as it is.
 */
export function arrivalInterceptor(clock: Clock, stampedEarlier: () => boolean = () => false): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            if (!stampedEarlier()) {
              metadata.remove(ARRIVAL_KEY);
              metadata.set(ARRIVAL_KEY, String(clock.now()));
            }
            mdNext(metadata);
          },
        }),
    });
}

/** The arrival stamped on a call, or now when there is none (a call that bypassed the interceptor). */
export function arrivalOf(metadata: grpc.Metadata, clock: Clock): number {
  const now = clock.now();
  const v = metadata.get(ARRIVAL_KEY)[0];
  const t = typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(t) && t <= now ? t : now;
}

/**
 * How long a request may take from its arrival: its own SLO (slo_ms, the V2
 * `timeout`) capped by its gRPC deadline, else the deadline, else the model's
 * default. The deadline is absolute (grpc-js computed it when the headers
 * arrived), so it is turned into a budget from the arrival.
 */
export function sloFromArrival(ownSloMs: number | undefined, deadline: grpc.Deadline, defaultSloMs: number, arrival: number, clock: Clock): number {
  const untilDeadline = deadline instanceof Date ? deadline.getTime() - Date.now() : deadline === Infinity ? Infinity : deadline - Date.now();
  const remaining = untilDeadline + (clock.now() - arrival);
  if (ownSloMs !== undefined) return Math.min(ownSloMs, remaining);
  if (Number.isFinite(remaining)) return Math.max(0.001, remaining);
  return defaultSloMs;
}
