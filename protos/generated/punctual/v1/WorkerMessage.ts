// Original file: protos/punctual/v1/worker.proto

import type { Hello as _punctual_v1_Hello, Hello__Output as _punctual_v1_Hello__Output } from '../../punctual/v1/Hello.js';
import type { ActionResult as _punctual_v1_ActionResult, ActionResult__Output as _punctual_v1_ActionResult__Output } from '../../punctual/v1/ActionResult.js';
import type { Pong as _punctual_v1_Pong, Pong__Output as _punctual_v1_Pong__Output } from '../../punctual/v1/Pong.js';
import type { ModelBytesAck as _punctual_v1_ModelBytesAck, ModelBytesAck__Output as _punctual_v1_ModelBytesAck__Output } from '../../punctual/v1/ModelBytesAck.js';
import type { Draining as _punctual_v1_Draining, Draining__Output as _punctual_v1_Draining__Output } from '../../punctual/v1/Draining.js';
import type { ResultBatch as _punctual_v1_ResultBatch, ResultBatch__Output as _punctual_v1_ResultBatch__Output } from '../../punctual/v1/ResultBatch.js';

export interface WorkerMessage {
  'hello'?: (_punctual_v1_Hello | null);
  'result'?: (_punctual_v1_ActionResult | null);
  'pong'?: (_punctual_v1_Pong | null);
  'bytesAck'?: (_punctual_v1_ModelBytesAck | null);
  'draining'?: (_punctual_v1_Draining | null);
  'results'?: (_punctual_v1_ResultBatch | null);
  'msg'?: "hello"|"result"|"pong"|"bytesAck"|"draining"|"results";
}

export interface WorkerMessage__Output {
  'hello'?: (_punctual_v1_Hello__Output | null);
  'result'?: (_punctual_v1_ActionResult__Output | null);
  'pong'?: (_punctual_v1_Pong__Output | null);
  'bytesAck'?: (_punctual_v1_ModelBytesAck__Output | null);
  'draining'?: (_punctual_v1_Draining__Output | null);
  'results'?: (_punctual_v1_ResultBatch__Output | null);
  'msg'?: "hello"|"result"|"pong"|"bytesAck"|"draining"|"results";
}
