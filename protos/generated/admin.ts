import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminClient as _punctual_v1_AdminClient, AdminDefinition as _punctual_v1_AdminDefinition } from './punctual/v1/Admin';
import type { BatchEstimate as _punctual_v1_BatchEstimate, BatchEstimate__Output as _punctual_v1_BatchEstimate__Output } from './punctual/v1/BatchEstimate';
import type { ClusterStatusRequest as _punctual_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _punctual_v1_ClusterStatusRequest__Output } from './punctual/v1/ClusterStatusRequest';
import type { ClusterStatusResponse as _punctual_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _punctual_v1_ClusterStatusResponse__Output } from './punctual/v1/ClusterStatusResponse';
import type { ExecutorStatus as _punctual_v1_ExecutorStatus, ExecutorStatus__Output as _punctual_v1_ExecutorStatus__Output } from './punctual/v1/ExecutorStatus';
import type { ListModelsRequest as _punctual_v1_ListModelsRequest, ListModelsRequest__Output as _punctual_v1_ListModelsRequest__Output } from './punctual/v1/ListModelsRequest';
import type { ListModelsResponse as _punctual_v1_ListModelsResponse, ListModelsResponse__Output as _punctual_v1_ListModelsResponse__Output } from './punctual/v1/ListModelsResponse';
import type { ModelInfo as _punctual_v1_ModelInfo, ModelInfo__Output as _punctual_v1_ModelInfo__Output } from './punctual/v1/ModelInfo';
import type { Tensor as _punctual_v1_Tensor, Tensor__Output as _punctual_v1_Tensor__Output } from './punctual/v1/Tensor';
import type { TensorSpec as _punctual_v1_TensorSpec, TensorSpec__Output as _punctual_v1_TensorSpec__Output } from './punctual/v1/TensorSpec';
import type { WorkerStatus as _punctual_v1_WorkerStatus, WorkerStatus__Output as _punctual_v1_WorkerStatus__Output } from './punctual/v1/WorkerStatus';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  punctual: {
    v1: {
      Admin: SubtypeConstructor<typeof grpc.Client, _punctual_v1_AdminClient> & { service: _punctual_v1_AdminDefinition }
      BatchEstimate: MessageTypeDefinition<_punctual_v1_BatchEstimate, _punctual_v1_BatchEstimate__Output>
      ClusterStatusRequest: MessageTypeDefinition<_punctual_v1_ClusterStatusRequest, _punctual_v1_ClusterStatusRequest__Output>
      ClusterStatusResponse: MessageTypeDefinition<_punctual_v1_ClusterStatusResponse, _punctual_v1_ClusterStatusResponse__Output>
      ExecutorStatus: MessageTypeDefinition<_punctual_v1_ExecutorStatus, _punctual_v1_ExecutorStatus__Output>
      ListModelsRequest: MessageTypeDefinition<_punctual_v1_ListModelsRequest, _punctual_v1_ListModelsRequest__Output>
      ListModelsResponse: MessageTypeDefinition<_punctual_v1_ListModelsResponse, _punctual_v1_ListModelsResponse__Output>
      ModelInfo: MessageTypeDefinition<_punctual_v1_ModelInfo, _punctual_v1_ModelInfo__Output>
      Tensor: MessageTypeDefinition<_punctual_v1_Tensor, _punctual_v1_Tensor__Output>
      TensorSpec: MessageTypeDefinition<_punctual_v1_TensorSpec, _punctual_v1_TensorSpec__Output>
      WorkerStatus: MessageTypeDefinition<_punctual_v1_WorkerStatus, _punctual_v1_WorkerStatus__Output>
    }
  }
}

