// Original file: protos/punctual/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface Pong {
  'pingId'?: (number | string | Long);
  'controllerMs'?: (number | string);
  'workerMs'?: (number | string);
}

export interface Pong__Output {
  'pingId': (number);
  'controllerMs': (number);
  'workerMs': (number);
}
