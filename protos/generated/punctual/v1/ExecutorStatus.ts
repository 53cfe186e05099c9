// Original file: protos/punctual/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ExecutorStatus {
  'index'?: (number);
  'device'?: (string);
  'threads'?: (number);
  'memoryBudgetBytes'?: (number | string | Long);
  'memoryUsedBytes'?: (number | string | Long);
  'loaded'?: (string)[];
  'executorClass'?: (string);
  'actionsCompleted'?: (number | string | Long);
  'bookedAheadMs'?: (number | string);
  'loads'?: (number | string | Long);
  'unloads'?: (number | string | Long);
  'suspended'?: (boolean);
}

export interface ExecutorStatus__Output {
  'index': (number);
  'device': (string);
  'threads': (number);
  'memoryBudgetBytes': (number);
  'memoryUsedBytes': (number);
  'loaded': (string)[];
  'executorClass': (string);
  'actionsCompleted': (number);
  'bookedAheadMs': (number);
  'loads': (number);
  'unloads': (number);
  'suspended': (boolean);
}
