// Original file: protos/punctual/v1/worker.proto

import type { Action as _punctual_v1_Action, Action__Output as _punctual_v1_Action__Output } from '../../punctual/v1/Action.js';

export interface ActionBatch {
  'actions'?: (_punctual_v1_Action)[];
}

export interface ActionBatch__Output {
  'actions': (_punctual_v1_Action__Output)[];
}
