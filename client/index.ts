// The client library's public surface. Import from here, not from the files behind it.
export { PunctualClient, type ClusterStatus, type InferResult, type InferTimings, type ModelInfo } from './client.js';
export { PunctualRingClient, notAdmitted, type RetryOptions, type RingClientOptions } from './ring-client.js';
export { ControllerRing, OTHER_SHARD, OWNER_TRAILER, RING_VERSION_TRAILER, type RingMember } from '../common/ring.js';
export type { InferOptions, PunctualClientOptions } from './options.js';
export type { InferInputs, OutputTensor, TensorInput } from './tensors.js';
export {
  DeadlineExceededError,
  ERROR_CLASSES,
  InvalidInputError,
  ModelNotFoundError,
  PermissionDeniedError,
  PunctualClientError,
  SloRejectedError,
  UnauthenticatedError,
  UnavailableError,
  isDeadlineExceededError,
  isInvalidInputError,
  isModelNotFoundError,
  isPermissionDeniedError,
  isPunctualClientError,
  isSloRejectedError,
  isUnauthenticatedError,
  isUnavailableError,
} from './errors.js';
export type { DType, TypedArray } from '../common/dtype.js';
export { Status } from '../common/errors.js';
export { PunctualAdmin, type ModelExport, type ProfileOptions, type RegisterOptions, type RegisterStreamOptions } from './admin.js';
