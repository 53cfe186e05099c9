// Original file: protos/punctual/v1/admin.proto

import type { TensorSpec as _punctual_v1_TensorSpec, TensorSpec__Output as _punctual_v1_TensorSpec__Output } from '../../punctual/v1/TensorSpec.js';
import type { BatchEstimate as _punctual_v1_BatchEstimate, BatchEstimate__Output as _punctual_v1_BatchEstimate__Output } from '../../punctual/v1/BatchEstimate.js';
import type { Long } from '@grpc/proto-loader';

export interface ModelInfo {
  'name'?: (string);
  'version'?: (number | string | Long);
  'inputs'?: (_punctual_v1_TensorSpec)[];
  'outputs'?: (_punctual_v1_TensorSpec)[];
  'maxBatch'?: (number);
  'batchSizes'?: (number)[];
  'defaultSloMs'?: (number | string);
  'sizeBytes'?: (number | string | Long);
  'memoryBytes'?: (number | string | Long);
  'loadMs'?: (number | string);
  'estimates'?: (_punctual_v1_BatchEstimate)[];
  'loadedOn'?: (string)[];
  'requestsOk'?: (number | string | Long);
  'requestsRejected'?: (number | string | Long);
  'requestsFailed'?: (number | string | Long);
  'queued'?: (number | string | Long);
  'admissionReserveMs'?: (number | string);
  'threads'?: (number);
}

export interface ModelInfo__Output {
  'name': (string);
  'version': (number);
  'inputs': (_punctual_v1_TensorSpec__Output)[];
  'outputs': (_punctual_v1_TensorSpec__Output)[];
  'maxBatch': (number);
  'batchSizes': (number)[];
  'defaultSloMs': (number);
  'sizeBytes': (number);
  'memoryBytes': (number);
  'loadMs': (number);
  'estimates': (_punctual_v1_BatchEstimate__Output)[];
  'loadedOn': (string)[];
  'requestsOk': (number);
  'requestsRejected': (number);
  'requestsFailed': (number);
  'queued': (number);
  'admissionReserveMs': (number);
  'threads': (number);
}
