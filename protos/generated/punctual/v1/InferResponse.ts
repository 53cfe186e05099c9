// Original file: protos/punctual/v1/inference.proto

import type { Tensor as _punctual_v1_Tensor, Tensor__Output as _punctual_v1_Tensor__Output } from '../../punctual/v1/Tensor.js';
import type { Timings as _punctual_v1_Timings, Timings__Output as _punctual_v1_Timings__Output } from '../../punctual/v1/Timings.js';
import type { Long } from '@grpc/proto-loader';

export interface InferResponse {
  'model'?: (string);
  'version'?: (number | string | Long);
  'outputs'?: (_punctual_v1_Tensor)[];
  'timings'?: (_punctual_v1_Timings | null);
  'batchSize'?: (number);
  'worker'?: (string);
  'executor'?: (number);
}

export interface InferResponse__Output {
  'model': (string);
  'version': (number);
  'outputs': (_punctual_v1_Tensor__Output)[];
  'timings': (_punctual_v1_Timings__Output | null);
  'batchSize': (number);
  'worker': (string);
  'executor': (number);
}
