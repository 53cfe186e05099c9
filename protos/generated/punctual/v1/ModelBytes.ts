// Original file: protos/punctual/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface ModelBytes {
  'modelKey'?: (string);
  'offset'?: (number | string | Long);
  'totalSize'?: (number | string | Long);
  'chunk'?: (Buffer | Uint8Array | string);
  'last'?: (boolean);
  'sha256'?: (string);
  'byContent'?: (boolean);
}

export interface ModelBytes__Output {
  'modelKey': (string);
  'offset': (number);
  'totalSize': (number);
  'chunk': (Buffer);
  'last': (boolean);
  'sha256': (string);
  'byContent': (boolean);
}
