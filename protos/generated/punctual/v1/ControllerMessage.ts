// Original file: protos/punctual/v1/worker.proto

import type { Welcome as _punctual_v1_Welcome, Welcome__Output as _punctual_v1_Welcome__Output } from '../../punctual/v1/Welcome.js';
import type { Action as _punctual_v1_Action, Action__Output as _punctual_v1_Action__Output } from '../../punctual/v1/Action.js';
import type { Ping as _punctual_v1_Ping, Ping__Output as _punctual_v1_Ping__Output } from '../../punctual/v1/Ping.js';
import type { ModelBytes as _punctual_v1_ModelBytes, ModelBytes__Output as _punctual_v1_ModelBytes__Output } from '../../punctual/v1/ModelBytes.js';
import type { ForgetModel as _punctual_v1_ForgetModel, ForgetModel__Output as _punctual_v1_ForgetModel__Output } from '../../punctual/v1/ForgetModel.js';
import type { ActionBatch as _punctual_v1_ActionBatch, ActionBatch__Output as _punctual_v1_ActionBatch__Output } from '../../punctual/v1/ActionBatch.js';
import type { Unstage as _punctual_v1_Unstage, Unstage__Output as _punctual_v1_Unstage__Output } from '../../punctual/v1/Unstage.js';

export interface ControllerMessage {
  'welcome'?: (_punctual_v1_Welcome | null);
  'action'?: (_punctual_v1_Action | null);
  'ping'?: (_punctual_v1_Ping | null);
  'modelBytes'?: (_punctual_v1_ModelBytes | null);
  'forgetModel'?: (_punctual_v1_ForgetModel | null);
  'actions'?: (_punctual_v1_ActionBatch | null);
  'unstage'?: (_punctual_v1_Unstage | null);
  'msg'?: "welcome"|"action"|"ping"|"modelBytes"|"forgetModel"|"actions"|"unstage";
}

export interface ControllerMessage__Output {
  'welcome'?: (_punctual_v1_Welcome__Output | null);
  'action'?: (_punctual_v1_Action__Output | null);
  'ping'?: (_punctual_v1_Ping__Output | null);
  'modelBytes'?: (_punctual_v1_ModelBytes__Output | null);
  'forgetModel'?: (_punctual_v1_ForgetModel__Output | null);
  'actions'?: (_punctual_v1_ActionBatch__Output | null);
  'unstage'?: (_punctual_v1_Unstage__Output | null);
  'msg'?: "welcome"|"action"|"ping"|"modelBytes"|"forgetModel"|"actions"|"unstage";
}
