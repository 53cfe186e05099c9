// Original file: protos/punctual/v1/worker.proto

import type { ActionType as _punctual_v1_ActionType, ActionType__Output as _punctual_v1_ActionType__Output } from '../../punctual/v1/ActionType.js';
import type { Tensor as _punctual_v1_Tensor, Tensor__Output as _punctual_v1_Tensor__Output } from '../../punctual/v1/Tensor.js';
import type { EmulatedModel as _punctual_v1_EmulatedModel, EmulatedModel__Output as _punctual_v1_EmulatedModel__Output } from '../../punctual/v1/EmulatedModel.js';
import type { StagedRow as _punctual_v1_StagedRow, StagedRow__Output as _punctual_v1_StagedRow__Output } from '../../punctual/v1/StagedRow.js';
import type { TensorSpec as _punctual_v1_TensorSpec, TensorSpec__Output as _punctual_v1_TensorSpec__Output } from '../../punctual/v1/TensorSpec.js';
import type { Long } from '@grpc/proto-loader';

export interface Action {
  'id'?: (number | string | Long);
  'type'?: (_punctual_v1_ActionType);
  'executor'?: (number);
  'modelKey'?: (string);
  'earliestMs'?: (number | string);
  'latestMs'?: (number | string);
  'expectedMs'?: (number | string);
  'batchSize'?: (number);
  'inputs'?: (_punctual_v1_Tensor)[];
  'lane'?: (number);
  'threads'?: (number);
  'emulated'?: (_punctual_v1_EmulatedModel | null);
  'staged'?: (_punctual_v1_StagedRow)[];
  'inputSpecs'?: (_punctual_v1_TensorSpec)[];
}

export interface Action__Output {
  'id': (number);
  'type': (_punctual_v1_ActionType__Output);
  'executor': (number);
  'modelKey': (string);
  'earliestMs': (number);
  'latestMs': (number);
  'expectedMs': (number);
  'batchSize': (number);
  'inputs': (_punctual_v1_Tensor__Output)[];
  'lane': (number);
  'threads': (number);
  'emulated': (_punctual_v1_EmulatedModel__Output | null);
  'staged': (_punctual_v1_StagedRow__Output)[];
  'inputSpecs': (_punctual_v1_TensorSpec__Output)[];
}
