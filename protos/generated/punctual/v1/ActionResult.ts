// Original file: protos/punctual/v1/worker.proto

import type { ResultStatus as _punctual_v1_ResultStatus, ResultStatus__Output as _punctual_v1_ResultStatus__Output } from '../../punctual/v1/ResultStatus.js';
import type { Tensor as _punctual_v1_Tensor, Tensor__Output as _punctual_v1_Tensor__Output } from '../../punctual/v1/Tensor.js';
import type { Long } from '@grpc/proto-loader';

export interface ActionResult {
  'actionId'?: (number | string | Long);
  'status'?: (_punctual_v1_ResultStatus);
  'message'?: (string);
  'receivedMs'?: (number | string);
  'startMs'?: (number | string);
  'endMs'?: (number | string);
  'durationMs'?: (number | string);
  'outputs'?: (_punctual_v1_Tensor)[];
  'memoryBytes'?: (number | string | Long);
  'missingRows'?: (number)[];
}

export interface ActionResult__Output {
  'actionId': (number);
  'status': (_punctual_v1_ResultStatus__Output);
  'message': (string);
  'receivedMs': (number);
  'startMs': (number);
  'endMs': (number);
  'durationMs': (number);
  'outputs': (_punctual_v1_Tensor__Output)[];
  'memoryBytes': (number);
  'missingRows': (number)[];
}
