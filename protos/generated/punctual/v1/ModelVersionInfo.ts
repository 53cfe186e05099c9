// Original file: protos/punctual/v1/admin.proto

import type { ModelInfo as _punctual_v1_ModelInfo, ModelInfo__Output as _punctual_v1_ModelInfo__Output } from '../../punctual/v1/ModelInfo.js';
import type { ProfileInfo as _punctual_v1_ProfileInfo, ProfileInfo__Output as _punctual_v1_ProfileInfo__Output } from '../../punctual/v1/ProfileInfo.js';

export interface ModelVersionInfo {
  'info'?: (_punctual_v1_ModelInfo | null);
  'profile'?: (_punctual_v1_ProfileInfo | null);
  'sha256'?: (string);
  'isDefault'?: (boolean);
}

export interface ModelVersionInfo__Output {
  'info': (_punctual_v1_ModelInfo__Output | null);
  'profile': (_punctual_v1_ProfileInfo__Output | null);
  'sha256': (string);
  'isDefault': (boolean);
}
