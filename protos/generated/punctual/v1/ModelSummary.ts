// Original file: protos/punctual/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ModelSummary {
  'models'?: (number);
  'names'?: (number);
  'loaded'?: (number);
  'queued'?: (number | string | Long);
  'requestsOk'?: (number | string | Long);
  'requestsRejected'?: (number | string | Long);
  'requestsFailed'?: (number | string | Long);
  'distinctFiles'?: (number);
  'distinctBytes'?: (number | string | Long);
}

export interface ModelSummary__Output {
  'models': (number);
  'names': (number);
  'loaded': (number);
  'queued': (number);
  'requestsOk': (number);
  'requestsRejected': (number);
  'requestsFailed': (number);
  'distinctFiles': (number);
  'distinctBytes': (number);
}
