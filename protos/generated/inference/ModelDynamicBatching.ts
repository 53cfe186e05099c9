// Original file: protos/inference/model_config.proto

import type { Long } from '@grpc/proto-loader';

export interface ModelDynamicBatching {
  'preferredBatchSize'?: (number)[];
  'maxQueueDelayMicroseconds'?: (number | string | Long);
  'preserveOrdering'?: (boolean);
  'priorityLevels'?: (number);
  'defaultPriorityLevel'?: (number);
}

export interface ModelDynamicBatching__Output {
  'preferredBatchSize': (number)[];
  'maxQueueDelayMicroseconds': (number);
  'preserveOrdering': (boolean);
  'priorityLevels': (number);
  'defaultPriorityLevel': (number);
}
