// Original file: protos/punctual/v1/admin.proto

import type { ProfileInfo as _punctual_v1_ProfileInfo, ProfileInfo__Output as _punctual_v1_ProfileInfo__Output } from '../../punctual/v1/ProfileInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface ProfileModelResponse {
  'model'?: (string);
  'version'?: (number | string | Long);
  'profile'?: (_punctual_v1_ProfileInfo | null);
}

export interface ProfileModelResponse__Output {
  'model': (string);
  'version': (number);
  'profile': (_punctual_v1_ProfileInfo__Output | null);
}
