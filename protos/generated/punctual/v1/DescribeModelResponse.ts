// Original file: protos/punctual/v1/admin.proto

import type { ModelVersionInfo as _punctual_v1_ModelVersionInfo, ModelVersionInfo__Output as _punctual_v1_ModelVersionInfo__Output } from '../../punctual/v1/ModelVersionInfo.js';

export interface DescribeModelResponse {
  'name'?: (string);
  'versions'?: (_punctual_v1_ModelVersionInfo)[];
}

export interface DescribeModelResponse__Output {
  'name': (string);
  'versions': (_punctual_v1_ModelVersionInfo__Output)[];
}
