// Original file: protos/punctual/v1/admin.proto

import type { WorkerStatus as _punctual_v1_WorkerStatus, WorkerStatus__Output as _punctual_v1_WorkerStatus__Output } from '../../punctual/v1/WorkerStatus.js';
import type { ModelInfo as _punctual_v1_ModelInfo, ModelInfo__Output as _punctual_v1_ModelInfo__Output } from '../../punctual/v1/ModelInfo.js';
import type { ModelSummary as _punctual_v1_ModelSummary, ModelSummary__Output as _punctual_v1_ModelSummary__Output } from '../../punctual/v1/ModelSummary.js';

export interface ClusterStatusResponse {
  'workers'?: (_punctual_v1_WorkerStatus)[];
  'models'?: (_punctual_v1_ModelInfo)[];
  'uptimeS'?: (number | string);
  'policy'?: (string);
  'nextPageToken'?: (string);
  'modelSummary'?: (_punctual_v1_ModelSummary | null);
}

export interface ClusterStatusResponse__Output {
  'workers': (_punctual_v1_WorkerStatus__Output)[];
  'models': (_punctual_v1_ModelInfo__Output)[];
  'uptimeS': (number);
  'policy': (string);
  'nextPageToken': (string);
  'modelSummary': (_punctual_v1_ModelSummary__Output | null);
}
