// Original file: protos/punctual/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface Ping {
  'id'?: (number | string | Long);
  'controllerMs'?: (number | string);
}

export interface Ping__Output {
  'id': (number);
  'controllerMs': (number);
}
