// Original file: protos/punctual/v1/inference.proto

import type { Tensor as _punctual_v1_Tensor, Tensor__Output as _punctual_v1_Tensor__Output } from '../../punctual/v1/Tensor.js';
import type { Long } from '@grpc/proto-loader';

export interface InferRequest {
  'model'?: (string);
  'version'?: (number | string | Long);
  'inputs'?: (_punctual_v1_Tensor)[];
  'sloMs'?: (number | string);
  '_sloMs'?: "sloMs";
}

export interface InferRequest__Output {
  'model': (string);
  'version': (number);
  'inputs': (_punctual_v1_Tensor__Output)[];
  'sloMs'?: (number);
  '_sloMs'?: "sloMs";
}
