// Original file: protos/punctual/v1/admin.proto

import type { ModelInfo as _punctual_v1_ModelInfo, ModelInfo__Output as _punctual_v1_ModelInfo__Output } from '../../punctual/v1/ModelInfo.js';

export interface ListModelsResponse {
  'models'?: (_punctual_v1_ModelInfo)[];
  'nextPageToken'?: (string);
  'total'?: (number);
}

export interface ListModelsResponse__Output {
  'models': (_punctual_v1_ModelInfo__Output)[];
  'nextPageToken': (string);
  'total': (number);
}
