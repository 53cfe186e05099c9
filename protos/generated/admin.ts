import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminClient as _punctual_v1_AdminClient, AdminDefinition as _punctual_v1_AdminDefinition } from './punctual/v1/Admin.js';
import type { BatchEstimate as _punctual_v1_BatchEstimate, BatchEstimate__Output as _punctual_v1_BatchEstimate__Output } from './punctual/v1/BatchEstimate.js';
import type { BatchProfileInfo as _punctual_v1_BatchProfileInfo, BatchProfileInfo__Output as _punctual_v1_BatchProfileInfo__Output } from './punctual/v1/BatchProfileInfo.js';
import type { ClassProfileInfo as _punctual_v1_ClassProfileInfo, ClassProfileInfo__Output as _punctual_v1_ClassProfileInfo__Output } from './punctual/v1/ClassProfileInfo.js';
import type { ClusterStatusRequest as _punctual_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _punctual_v1_ClusterStatusRequest__Output } from './punctual/v1/ClusterStatusRequest.js';
import type { ClusterStatusResponse as _punctual_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _punctual_v1_ClusterStatusResponse__Output } from './punctual/v1/ClusterStatusResponse.js';
import type { DescribeModelRequest as _punctual_v1_DescribeModelRequest, DescribeModelRequest__Output as _punctual_v1_DescribeModelRequest__Output } from './punctual/v1/DescribeModelRequest.js';
import type { DescribeModelResponse as _punctual_v1_DescribeModelResponse, DescribeModelResponse__Output as _punctual_v1_DescribeModelResponse__Output } from './punctual/v1/DescribeModelResponse.js';
import type { ExecutorStatus as _punctual_v1_ExecutorStatus, ExecutorStatus__Output as _punctual_v1_ExecutorStatus__Output } from './punctual/v1/ExecutorStatus.js';
import type { ExportModelChunk as _punctual_v1_ExportModelChunk, ExportModelChunk__Output as _punctual_v1_ExportModelChunk__Output } from './punctual/v1/ExportModelChunk.js';
import type { ExportModelRequest as _punctual_v1_ExportModelRequest, ExportModelRequest__Output as _punctual_v1_ExportModelRequest__Output } from './punctual/v1/ExportModelRequest.js';
import type { GetRingRequest as _punctual_v1_GetRingRequest, GetRingRequest__Output as _punctual_v1_GetRingRequest__Output } from './punctual/v1/GetRingRequest.js';
import type { GetRingResponse as _punctual_v1_GetRingResponse, GetRingResponse__Output as _punctual_v1_GetRingResponse__Output } from './punctual/v1/GetRingResponse.js';
import type { InputDeclaration as _punctual_v1_InputDeclaration, InputDeclaration__Output as _punctual_v1_InputDeclaration__Output } from './punctual/v1/InputDeclaration.js';
import type { ListModelsRequest as _punctual_v1_ListModelsRequest, ListModelsRequest__Output as _punctual_v1_ListModelsRequest__Output } from './punctual/v1/ListModelsRequest.js';
import type { ListModelsResponse as _punctual_v1_ListModelsResponse, ListModelsResponse__Output as _punctual_v1_ListModelsResponse__Output } from './punctual/v1/ListModelsResponse.js';
import type { ModelInfo as _punctual_v1_ModelInfo, ModelInfo__Output as _punctual_v1_ModelInfo__Output } from './punctual/v1/ModelInfo.js';
import type { ModelSummary as _punctual_v1_ModelSummary, ModelSummary__Output as _punctual_v1_ModelSummary__Output } from './punctual/v1/ModelSummary.js';
import type { ModelVersionInfo as _punctual_v1_ModelVersionInfo, ModelVersionInfo__Output as _punctual_v1_ModelVersionInfo__Output } from './punctual/v1/ModelVersionInfo.js';
import type { ProfileInfo as _punctual_v1_ProfileInfo, ProfileInfo__Output as _punctual_v1_ProfileInfo__Output } from './punctual/v1/ProfileInfo.js';
import type { ProfileModelEvent as _punctual_v1_ProfileModelEvent, ProfileModelEvent__Output as _punctual_v1_ProfileModelEvent__Output } from './punctual/v1/ProfileModelEvent.js';
import type { ProfileModelRequest as _punctual_v1_ProfileModelRequest, ProfileModelRequest__Output as _punctual_v1_ProfileModelRequest__Output } from './punctual/v1/ProfileModelRequest.js';
import type { ProfileModelResponse as _punctual_v1_ProfileModelResponse, ProfileModelResponse__Output as _punctual_v1_ProfileModelResponse__Output } from './punctual/v1/ProfileModelResponse.js';
import type { ProfileProgress as _punctual_v1_ProfileProgress, ProfileProgress__Output as _punctual_v1_ProfileProgress__Output } from './punctual/v1/ProfileProgress.js';
import type { RegisterMetadata as _punctual_v1_RegisterMetadata, RegisterMetadata__Output as _punctual_v1_RegisterMetadata__Output } from './punctual/v1/RegisterMetadata.js';
import type { RegisterModelRequest as _punctual_v1_RegisterModelRequest, RegisterModelRequest__Output as _punctual_v1_RegisterModelRequest__Output } from './punctual/v1/RegisterModelRequest.js';
import type { RegisterModelResponse as _punctual_v1_RegisterModelResponse, RegisterModelResponse__Output as _punctual_v1_RegisterModelResponse__Output } from './punctual/v1/RegisterModelResponse.js';
import type { RingMember as _punctual_v1_RingMember, RingMember__Output as _punctual_v1_RingMember__Output } from './punctual/v1/RingMember.js';
import type { Tensor as _punctual_v1_Tensor, Tensor__Output as _punctual_v1_Tensor__Output } from './punctual/v1/Tensor.js';
import type { TensorSpec as _punctual_v1_TensorSpec, TensorSpec__Output as _punctual_v1_TensorSpec__Output } from './punctual/v1/TensorSpec.js';
import type { ThreadTrial as _punctual_v1_ThreadTrial, ThreadTrial__Output as _punctual_v1_ThreadTrial__Output } from './punctual/v1/ThreadTrial.js';
import type { UnregisterModelRequest as _punctual_v1_UnregisterModelRequest, UnregisterModelRequest__Output as _punctual_v1_UnregisterModelRequest__Output } from './punctual/v1/UnregisterModelRequest.js';
import type { UnregisterModelResponse as _punctual_v1_UnregisterModelResponse, UnregisterModelResponse__Output as _punctual_v1_UnregisterModelResponse__Output } from './punctual/v1/UnregisterModelResponse.js';
import type { WorkerStatus as _punctual_v1_WorkerStatus, WorkerStatus__Output as _punctual_v1_WorkerStatus__Output } from './punctual/v1/WorkerStatus.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  punctual: {
    v1: {
      Admin: SubtypeConstructor<typeof grpc.Client, _punctual_v1_AdminClient> & { service: _punctual_v1_AdminDefinition }
      BatchEstimate: MessageTypeDefinition<_punctual_v1_BatchEstimate, _punctual_v1_BatchEstimate__Output>
      BatchProfileInfo: MessageTypeDefinition<_punctual_v1_BatchProfileInfo, _punctual_v1_BatchProfileInfo__Output>
      ClassProfileInfo: MessageTypeDefinition<_punctual_v1_ClassProfileInfo, _punctual_v1_ClassProfileInfo__Output>
      ClusterStatusRequest: MessageTypeDefinition<_punctual_v1_ClusterStatusRequest, _punctual_v1_ClusterStatusRequest__Output>
      ClusterStatusResponse: MessageTypeDefinition<_punctual_v1_ClusterStatusResponse, _punctual_v1_ClusterStatusResponse__Output>
      DescribeModelRequest: MessageTypeDefinition<_punctual_v1_DescribeModelRequest, _punctual_v1_DescribeModelRequest__Output>
      DescribeModelResponse: MessageTypeDefinition<_punctual_v1_DescribeModelResponse, _punctual_v1_DescribeModelResponse__Output>
      ExecutorStatus: MessageTypeDefinition<_punctual_v1_ExecutorStatus, _punctual_v1_ExecutorStatus__Output>
      ExportModelChunk: MessageTypeDefinition<_punctual_v1_ExportModelChunk, _punctual_v1_ExportModelChunk__Output>
      ExportModelRequest: MessageTypeDefinition<_punctual_v1_ExportModelRequest, _punctual_v1_ExportModelRequest__Output>
      GetRingRequest: MessageTypeDefinition<_punctual_v1_GetRingRequest, _punctual_v1_GetRingRequest__Output>
      GetRingResponse: MessageTypeDefinition<_punctual_v1_GetRingResponse, _punctual_v1_GetRingResponse__Output>
      InputDeclaration: MessageTypeDefinition<_punctual_v1_InputDeclaration, _punctual_v1_InputDeclaration__Output>
      ListModelsRequest: MessageTypeDefinition<_punctual_v1_ListModelsRequest, _punctual_v1_ListModelsRequest__Output>
      ListModelsResponse: MessageTypeDefinition<_punctual_v1_ListModelsResponse, _punctual_v1_ListModelsResponse__Output>
      ModelInfo: MessageTypeDefinition<_punctual_v1_ModelInfo, _punctual_v1_ModelInfo__Output>
      ModelSummary: MessageTypeDefinition<_punctual_v1_ModelSummary, _punctual_v1_ModelSummary__Output>
      ModelVersionInfo: MessageTypeDefinition<_punctual_v1_ModelVersionInfo, _punctual_v1_ModelVersionInfo__Output>
      ProfileInfo: MessageTypeDefinition<_punctual_v1_ProfileInfo, _punctual_v1_ProfileInfo__Output>
      ProfileModelEvent: MessageTypeDefinition<_punctual_v1_ProfileModelEvent, _punctual_v1_ProfileModelEvent__Output>
      ProfileModelRequest: MessageTypeDefinition<_punctual_v1_ProfileModelRequest, _punctual_v1_ProfileModelRequest__Output>
      ProfileModelResponse: MessageTypeDefinition<_punctual_v1_ProfileModelResponse, _punctual_v1_ProfileModelResponse__Output>
      ProfileProgress: MessageTypeDefinition<_punctual_v1_ProfileProgress, _punctual_v1_ProfileProgress__Output>
      RegisterMetadata: MessageTypeDefinition<_punctual_v1_RegisterMetadata, _punctual_v1_RegisterMetadata__Output>
      RegisterModelRequest: MessageTypeDefinition<_punctual_v1_RegisterModelRequest, _punctual_v1_RegisterModelRequest__Output>
      RegisterModelResponse: MessageTypeDefinition<_punctual_v1_RegisterModelResponse, _punctual_v1_RegisterModelResponse__Output>
      RingMember: MessageTypeDefinition<_punctual_v1_RingMember, _punctual_v1_RingMember__Output>
      Tensor: MessageTypeDefinition<_punctual_v1_Tensor, _punctual_v1_Tensor__Output>
      TensorSpec: MessageTypeDefinition<_punctual_v1_TensorSpec, _punctual_v1_TensorSpec__Output>
      ThreadTrial: MessageTypeDefinition<_punctual_v1_ThreadTrial, _punctual_v1_ThreadTrial__Output>
      UnregisterModelRequest: MessageTypeDefinition<_punctual_v1_UnregisterModelRequest, _punctual_v1_UnregisterModelRequest__Output>
      UnregisterModelResponse: MessageTypeDefinition<_punctual_v1_UnregisterModelResponse, _punctual_v1_UnregisterModelResponse__Output>
      WorkerStatus: MessageTypeDefinition<_punctual_v1_WorkerStatus, _punctual_v1_WorkerStatus__Output>
    }
  }
}

