// Original file: protos/punctual/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ClusterStatusRequest as _punctual_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _punctual_v1_ClusterStatusRequest__Output } from '../../punctual/v1/ClusterStatusRequest';
import type { ClusterStatusResponse as _punctual_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _punctual_v1_ClusterStatusResponse__Output } from '../../punctual/v1/ClusterStatusResponse';
import type { ListModelsRequest as _punctual_v1_ListModelsRequest, ListModelsRequest__Output as _punctual_v1_ListModelsRequest__Output } from '../../punctual/v1/ListModelsRequest';
import type { ListModelsResponse as _punctual_v1_ListModelsResponse, ListModelsResponse__Output as _punctual_v1_ListModelsResponse__Output } from '../../punctual/v1/ListModelsResponse';

export interface AdminClient extends grpc.Client {
  ClusterStatus(argument: _punctual_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _punctual_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _punctual_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _punctual_v1_ClusterStatusRequest, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _punctual_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _punctual_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _punctual_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _punctual_v1_ClusterStatusRequest, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  
  ListModels(argument: _punctual_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _punctual_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _punctual_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _punctual_v1_ListModelsRequest, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _punctual_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _punctual_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _punctual_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _punctual_v1_ListModelsRequest, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  ClusterStatus: grpc.handleUnaryCall<_punctual_v1_ClusterStatusRequest__Output, _punctual_v1_ClusterStatusResponse>;
  
  ListModels: grpc.handleUnaryCall<_punctual_v1_ListModelsRequest__Output, _punctual_v1_ListModelsResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  ClusterStatus: MethodDefinition<_punctual_v1_ClusterStatusRequest, _punctual_v1_ClusterStatusResponse, _punctual_v1_ClusterStatusRequest__Output, _punctual_v1_ClusterStatusResponse__Output>
  ListModels: MethodDefinition<_punctual_v1_ListModelsRequest, _punctual_v1_ListModelsResponse, _punctual_v1_ListModelsRequest__Output, _punctual_v1_ListModelsResponse__Output>
}
