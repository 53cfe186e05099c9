// Original file: protos/punctual/v1/admin.proto

import type { BatchProfileInfo as _punctual_v1_BatchProfileInfo, BatchProfileInfo__Output as _punctual_v1_BatchProfileInfo__Output } from '../../punctual/v1/BatchProfileInfo.js';

export interface ClassProfileInfo {
  'executorClass'?: (string);
  'threads'?: (number);
  'loadMs'?: (number | string);
  'batches'?: (_punctual_v1_BatchProfileInfo)[];
}

export interface ClassProfileInfo__Output {
  'executorClass': (string);
  'threads': (number);
  'loadMs': (number);
  'batches': (_punctual_v1_BatchProfileInfo__Output)[];
}
