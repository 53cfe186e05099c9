// Original file: protos/punctual/v1/admin.proto

import type { ProfileProgress as _punctual_v1_ProfileProgress, ProfileProgress__Output as _punctual_v1_ProfileProgress__Output } from '../../punctual/v1/ProfileProgress.js';
import type { ProfileModelResponse as _punctual_v1_ProfileModelResponse, ProfileModelResponse__Output as _punctual_v1_ProfileModelResponse__Output } from '../../punctual/v1/ProfileModelResponse.js';

export interface ProfileModelEvent {
  'progress'?: (_punctual_v1_ProfileProgress | null);
  'result'?: (_punctual_v1_ProfileModelResponse | null);
  'event'?: "progress"|"result";
}

export interface ProfileModelEvent__Output {
  'progress'?: (_punctual_v1_ProfileProgress__Output | null);
  'result'?: (_punctual_v1_ProfileModelResponse__Output | null);
  'event'?: "progress"|"result";
}
