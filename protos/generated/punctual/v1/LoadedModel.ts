// Original file: protos/punctual/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface LoadedModel {
  'modelKey'?: (string);
  'lane'?: (number);
  'memoryBytes'?: (number | string | Long);
}

export interface LoadedModel__Output {
  'modelKey': (string);
  'lane': (number);
  'memoryBytes': (number);
}
