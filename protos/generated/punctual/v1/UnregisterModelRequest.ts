// Original file: protos/punctual/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface UnregisterModelRequest {
  'name'?: (string);
  'version'?: (number | string | Long);
}

export interface UnregisterModelRequest__Output {
  'name': (string);
  'version': (number);
}
