// Original file: protos/punctual/v1/worker.proto

import type { EmulatedBatch as _punctual_v1_EmulatedBatch, EmulatedBatch__Output as _punctual_v1_EmulatedBatch__Output } from '../../punctual/v1/EmulatedBatch.js';

export interface EmulatedModel {
  'loadMs'?: (number | string);
  'batches'?: (_punctual_v1_EmulatedBatch)[];
}

export interface EmulatedModel__Output {
  'loadMs': (number);
  'batches': (_punctual_v1_EmulatedBatch__Output)[];
}
