// Original file: protos/punctual/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ExportModelRequest {
  'name'?: (string);
  'version'?: (number | string | Long);
}

export interface ExportModelRequest__Output {
  'name': (string);
  'version': (number);
}
