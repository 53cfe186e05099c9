// Original file: protos/punctual/v1/inference.proto

import type { TensorSpec as _punctual_v1_TensorSpec, TensorSpec__Output as _punctual_v1_TensorSpec__Output } from '../../punctual/v1/TensorSpec.js';
import type { Long } from '@grpc/proto-loader';

export interface AdmitRequest {
  'model'?: (string);
  'version'?: (number | string | Long);
  'inputs'?: (_punctual_v1_TensorSpec)[];
  'sloMs'?: (number | string);
  '_sloMs'?: "sloMs";
}

export interface AdmitRequest__Output {
  'model': (string);
  'version': (number);
  'inputs': (_punctual_v1_TensorSpec__Output)[];
  'sloMs'?: (number);
  '_sloMs'?: "sloMs";
}
