// Original file: protos/punctual/v1/worker.proto

import type { ExecutorInfo as _punctual_v1_ExecutorInfo, ExecutorInfo__Output as _punctual_v1_ExecutorInfo__Output } from '../../punctual/v1/ExecutorInfo.js';

export interface Hello {
  'name'?: (string);
  'executors'?: (_punctual_v1_ExecutorInfo)[];
  'workerMs'?: (number | string);
  'cachedModels'?: (string)[];
  'dataAddress'?: (string);
  'takesBatches'?: (boolean);
  'dataTls'?: (boolean);
}

export interface Hello__Output {
  'name': (string);
  'executors': (_punctual_v1_ExecutorInfo__Output)[];
  'workerMs': (number);
  'cachedModels': (string)[];
  'dataAddress': (string);
  'takesBatches': (boolean);
  'dataTls': (boolean);
}
