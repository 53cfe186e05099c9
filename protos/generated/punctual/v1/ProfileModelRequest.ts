// Original file: protos/punctual/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ProfileModelRequest {
  'name'?: (string);
  'version'?: (number | string | Long);
  'batchSizes'?: (number)[];
  'iterations'?: (number);
  'maxThreads'?: (number);
}

export interface ProfileModelRequest__Output {
  'name': (string);
  'version': (number);
  'batchSizes': (number)[];
  'iterations': (number);
  'maxThreads': (number);
}
