// Original file: protos/punctual/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface ExecutorInfo {
  'index'?: (number);
  'device'?: (string);
  'threads'?: (number);
  'memoryBytes'?: (number | string | Long);
  'lanes'?: (number);
}

export interface ExecutorInfo__Output {
  'index': (number);
  'device': (string);
  'threads': (number);
  'memoryBytes': (number);
  'lanes': (number);
}
