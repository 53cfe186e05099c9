// One table from the scheduler's reasons to the gRPC statuses a client
// hears: rejections at admission and drops of accepted requests. The live
// core answers with them, and the simulator classifies its outcomes through
// them (traces/summary.ts outcomeOfStatus), exactly as a replay against the
// live system classifies what it hears.
import { Status } from '../common/errors.js';
import type { DropCode, RejectCode } from './scheduler/types.js';

export const REJECT_STATUS: Readonly<Record<RejectCode, Status>> = {
  slo_unattainable: Status.RESOURCE_EXHAUSTED,
  model_too_large: Status.RESOURCE_EXHAUSTED,
  no_executor: Status.UNAVAILABLE,
  unknown_model: Status.NOT_FOUND,
};

export const DROP_STATUS: Readonly<Record<DropCode, Status>> = {
  deadline: Status.DEADLINE_EXCEEDED,
  unavailable: Status.UNAVAILABLE,
  failed: Status.INTERNAL,
};
