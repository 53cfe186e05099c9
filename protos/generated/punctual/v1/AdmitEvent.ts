// Original file: protos/punctual/v1/inference.proto

import type { StageAt as _punctual_v1_StageAt, StageAt__Output as _punctual_v1_StageAt__Output } from '../../punctual/v1/StageAt.js';
import type { InferResponse as _punctual_v1_InferResponse, InferResponse__Output as _punctual_v1_InferResponse__Output } from '../../punctual/v1/InferResponse.js';

export interface AdmitEvent {
  'stage'?: (_punctual_v1_StageAt | null);
  'done'?: (_punctual_v1_InferResponse | null);
  'event'?: "stage"|"done";
}

export interface AdmitEvent__Output {
  'stage'?: (_punctual_v1_StageAt__Output | null);
  'done'?: (_punctual_v1_InferResponse__Output | null);
  'event'?: "stage"|"done";
}
