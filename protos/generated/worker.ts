import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Action as _punctual_v1_Action, Action__Output as _punctual_v1_Action__Output } from './punctual/v1/Action.js';
import type { ActionBatch as _punctual_v1_ActionBatch, ActionBatch__Output as _punctual_v1_ActionBatch__Output } from './punctual/v1/ActionBatch.js';
import type { ActionResult as _punctual_v1_ActionResult, ActionResult__Output as _punctual_v1_ActionResult__Output } from './punctual/v1/ActionResult.js';
import type { AdoptedModel as _punctual_v1_AdoptedModel, AdoptedModel__Output as _punctual_v1_AdoptedModel__Output } from './punctual/v1/AdoptedModel.js';
import type { ControllerMessage as _punctual_v1_ControllerMessage, ControllerMessage__Output as _punctual_v1_ControllerMessage__Output } from './punctual/v1/ControllerMessage.js';
import type { Draining as _punctual_v1_Draining, Draining__Output as _punctual_v1_Draining__Output } from './punctual/v1/Draining.js';
import type { EmulatedBatch as _punctual_v1_EmulatedBatch, EmulatedBatch__Output as _punctual_v1_EmulatedBatch__Output } from './punctual/v1/EmulatedBatch.js';
import type { EmulatedModel as _punctual_v1_EmulatedModel, EmulatedModel__Output as _punctual_v1_EmulatedModel__Output } from './punctual/v1/EmulatedModel.js';
import type { ExecutorInfo as _punctual_v1_ExecutorInfo, ExecutorInfo__Output as _punctual_v1_ExecutorInfo__Output } from './punctual/v1/ExecutorInfo.js';
import type { ForgetModel as _punctual_v1_ForgetModel, ForgetModel__Output as _punctual_v1_ForgetModel__Output } from './punctual/v1/ForgetModel.js';
import type { Hello as _punctual_v1_Hello, Hello__Output as _punctual_v1_Hello__Output } from './punctual/v1/Hello.js';
import type { LoadedModel as _punctual_v1_LoadedModel, LoadedModel__Output as _punctual_v1_LoadedModel__Output } from './punctual/v1/LoadedModel.js';
import type { ModelBytes as _punctual_v1_ModelBytes, ModelBytes__Output as _punctual_v1_ModelBytes__Output } from './punctual/v1/ModelBytes.js';
import type { ModelBytesAck as _punctual_v1_ModelBytesAck, ModelBytesAck__Output as _punctual_v1_ModelBytesAck__Output } from './punctual/v1/ModelBytesAck.js';
import type { Ping as _punctual_v1_Ping, Ping__Output as _punctual_v1_Ping__Output } from './punctual/v1/Ping.js';
import type { Pong as _punctual_v1_Pong, Pong__Output as _punctual_v1_Pong__Output } from './punctual/v1/Pong.js';
import type { ResultBatch as _punctual_v1_ResultBatch, ResultBatch__Output as _punctual_v1_ResultBatch__Output } from './punctual/v1/ResultBatch.js';
import type { StagedRow as _punctual_v1_StagedRow, StagedRow__Output as _punctual_v1_StagedRow__Output } from './punctual/v1/StagedRow.js';
import type { Tensor as _punctual_v1_Tensor, Tensor__Output as _punctual_v1_Tensor__Output } from './punctual/v1/Tensor.js';
import type { TensorSpec as _punctual_v1_TensorSpec, TensorSpec__Output as _punctual_v1_TensorSpec__Output } from './punctual/v1/TensorSpec.js';
import type { Unstage as _punctual_v1_Unstage, Unstage__Output as _punctual_v1_Unstage__Output } from './punctual/v1/Unstage.js';
import type { Welcome as _punctual_v1_Welcome, Welcome__Output as _punctual_v1_Welcome__Output } from './punctual/v1/Welcome.js';
import type { WorkerControlClient as _punctual_v1_WorkerControlClient, WorkerControlDefinition as _punctual_v1_WorkerControlDefinition } from './punctual/v1/WorkerControl.js';
import type { WorkerMessage as _punctual_v1_WorkerMessage, WorkerMessage__Output as _punctual_v1_WorkerMessage__Output } from './punctual/v1/WorkerMessage.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  punctual: {
    v1: {
      Action: MessageTypeDefinition<_punctual_v1_Action, _punctual_v1_Action__Output>
      ActionBatch: MessageTypeDefinition<_punctual_v1_ActionBatch, _punctual_v1_ActionBatch__Output>
      ActionResult: MessageTypeDefinition<_punctual_v1_ActionResult, _punctual_v1_ActionResult__Output>
      ActionType: EnumTypeDefinition
      AdoptedModel: MessageTypeDefinition<_punctual_v1_AdoptedModel, _punctual_v1_AdoptedModel__Output>
      ControllerMessage: MessageTypeDefinition<_punctual_v1_ControllerMessage, _punctual_v1_ControllerMessage__Output>
      Draining: MessageTypeDefinition<_punctual_v1_Draining, _punctual_v1_Draining__Output>
      EmulatedBatch: MessageTypeDefinition<_punctual_v1_EmulatedBatch, _punctual_v1_EmulatedBatch__Output>
      EmulatedModel: MessageTypeDefinition<_punctual_v1_EmulatedModel, _punctual_v1_EmulatedModel__Output>
      ExecutorInfo: MessageTypeDefinition<_punctual_v1_ExecutorInfo, _punctual_v1_ExecutorInfo__Output>
      ForgetModel: MessageTypeDefinition<_punctual_v1_ForgetModel, _punctual_v1_ForgetModel__Output>
      Hello: MessageTypeDefinition<_punctual_v1_Hello, _punctual_v1_Hello__Output>
      LoadedModel: MessageTypeDefinition<_punctual_v1_LoadedModel, _punctual_v1_LoadedModel__Output>
      ModelBytes: MessageTypeDefinition<_punctual_v1_ModelBytes, _punctual_v1_ModelBytes__Output>
      ModelBytesAck: MessageTypeDefinition<_punctual_v1_ModelBytesAck, _punctual_v1_ModelBytesAck__Output>
      Ping: MessageTypeDefinition<_punctual_v1_Ping, _punctual_v1_Ping__Output>
      Pong: MessageTypeDefinition<_punctual_v1_Pong, _punctual_v1_Pong__Output>
      ResultBatch: MessageTypeDefinition<_punctual_v1_ResultBatch, _punctual_v1_ResultBatch__Output>
      ResultStatus: EnumTypeDefinition
      StagedRow: MessageTypeDefinition<_punctual_v1_StagedRow, _punctual_v1_StagedRow__Output>
      Tensor: MessageTypeDefinition<_punctual_v1_Tensor, _punctual_v1_Tensor__Output>
      TensorSpec: MessageTypeDefinition<_punctual_v1_TensorSpec, _punctual_v1_TensorSpec__Output>
      Unstage: MessageTypeDefinition<_punctual_v1_Unstage, _punctual_v1_Unstage__Output>
      Welcome: MessageTypeDefinition<_punctual_v1_Welcome, _punctual_v1_Welcome__Output>
      WorkerControl: SubtypeConstructor<typeof grpc.Client, _punctual_v1_WorkerControlClient> & { service: _punctual_v1_WorkerControlDefinition }
      WorkerMessage: MessageTypeDefinition<_punctual_v1_WorkerMessage, _punctual_v1_WorkerMessage__Output>
    }
  }
}

