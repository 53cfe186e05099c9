// Original file: protos/punctual/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface Pong {
  'pingId'?: (number | string | Long);
  'controllerMs'?: (number | string);
  'workerMs'?: (number | string);
  'rssBytes'?: (number | string | Long);
  'baselineBytes'?: (number | string | Long);
  'cachedBytes'?: (number | string | Long);
}

export interface Pong__Output {
  'pingId': (number);
  'controllerMs': (number);
  'workerMs': (number);
  'rssBytes': (number);
  'baselineBytes': (number);
  'cachedBytes': (number);
}
