// Original file: protos/punctual/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface InputDeclaration {
  'name'?: (string);
  'dtype'?: (string);
  'shape'?: (number | string | Long)[];
}

export interface InputDeclaration__Output {
  'name': (string);
  'dtype': (string);
  'shape': (number)[];
}
