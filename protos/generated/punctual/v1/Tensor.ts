// Original file: protos/punctual/v1/tensor.proto

import type { Long } from '@grpc/proto-loader';

export interface Tensor {
  'name'?: (string);
  'dtype'?: (string);
  'shape'?: (number | string | Long)[];
  'data'?: (Buffer | Uint8Array | string);
}

export interface Tensor__Output {
  'name': (string);
  'dtype': (string);
  'shape': (number)[];
  'data': (Buffer);
}
