// Original file: protos/punctual/v1/worker.proto

import type { ActionResult as _punctual_v1_ActionResult, ActionResult__Output as _punctual_v1_ActionResult__Output } from '../../punctual/v1/ActionResult.js';

export interface ResultBatch {
  'results'?: (_punctual_v1_ActionResult)[];
}

export interface ResultBatch__Output {
  'results': (_punctual_v1_ActionResult__Output)[];
}
