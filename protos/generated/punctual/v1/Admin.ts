// Original file: protos/punctual/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ClusterStatusRequest as _punctual_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _punctual_v1_ClusterStatusRequest__Output } from '../../punctual/v1/ClusterStatusRequest.js';
import type { ClusterStatusResponse as _punctual_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _punctual_v1_ClusterStatusResponse__Output } from '../../punctual/v1/ClusterStatusResponse.js';
import type { DescribeModelRequest as _punctual_v1_DescribeModelRequest, DescribeModelRequest__Output as _punctual_v1_DescribeModelRequest__Output } from '../../punctual/v1/DescribeModelRequest.js';
import type { DescribeModelResponse as _punctual_v1_DescribeModelResponse, DescribeModelResponse__Output as _punctual_v1_DescribeModelResponse__Output } from '../../punctual/v1/DescribeModelResponse.js';
import type { ExportModelChunk as _punctual_v1_ExportModelChunk, ExportModelChunk__Output as _punctual_v1_ExportModelChunk__Output } from '../../punctual/v1/ExportModelChunk.js';
import type { ExportModelRequest as _punctual_v1_ExportModelRequest, ExportModelRequest__Output as _punctual_v1_ExportModelRequest__Output } from '../../punctual/v1/ExportModelRequest.js';
import type { GetRingRequest as _punctual_v1_GetRingRequest, GetRingRequest__Output as _punctual_v1_GetRingRequest__Output } from '../../punctual/v1/GetRingRequest.js';
import type { GetRingResponse as _punctual_v1_GetRingResponse, GetRingResponse__Output as _punctual_v1_GetRingResponse__Output } from '../../punctual/v1/GetRingResponse.js';
import type { ListModelsRequest as _punctual_v1_ListModelsRequest, ListModelsRequest__Output as _punctual_v1_ListModelsRequest__Output } from '../../punctual/v1/ListModelsRequest.js';
import type { ListModelsResponse as _punctual_v1_ListModelsResponse, ListModelsResponse__Output as _punctual_v1_ListModelsResponse__Output } from '../../punctual/v1/ListModelsResponse.js';
import type { ProfileModelEvent as _punctual_v1_ProfileModelEvent, ProfileModelEvent__Output as _punctual_v1_ProfileModelEvent__Output } from '../../punctual/v1/ProfileModelEvent.js';
import type { ProfileModelRequest as _punctual_v1_ProfileModelRequest, ProfileModelRequest__Output as _punctual_v1_ProfileModelRequest__Output } from '../../punctual/v1/ProfileModelRequest.js';
import type { RegisterModelRequest as _punctual_v1_RegisterModelRequest, RegisterModelRequest__Output as _punctual_v1_RegisterModelRequest__Output } from '../../punctual/v1/RegisterModelRequest.js';
import type { RegisterModelResponse as _punctual_v1_RegisterModelResponse, RegisterModelResponse__Output as _punctual_v1_RegisterModelResponse__Output } from '../../punctual/v1/RegisterModelResponse.js';
import type { UnregisterModelRequest as _punctual_v1_UnregisterModelRequest, UnregisterModelRequest__Output as _punctual_v1_UnregisterModelRequest__Output } from '../../punctual/v1/UnregisterModelRequest.js';
import type { UnregisterModelResponse as _punctual_v1_UnregisterModelResponse, UnregisterModelResponse__Output as _punctual_v1_UnregisterModelResponse__Output } from '../../punctual/v1/UnregisterModelResponse.js';

export interface AdminClient extends grpc.Client {
  ClusterStatus(argument: _punctual_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _punctual_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _punctual_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _punctual_v1_ClusterStatusRequest, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _punctual_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _punctual_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _punctual_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _punctual_v1_ClusterStatusRequest, callback: grpc.requestCallback<_punctual_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  
  DescribeModel(argument: _punctual_v1_DescribeModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_DescribeModelResponse__Output>): grpc.ClientUnaryCall;
  DescribeModel(argument: _punctual_v1_DescribeModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_DescribeModelResponse__Output>): grpc.ClientUnaryCall;
  DescribeModel(argument: _punctual_v1_DescribeModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_DescribeModelResponse__Output>): grpc.ClientUnaryCall;
  DescribeModel(argument: _punctual_v1_DescribeModelRequest, callback: grpc.requestCallback<_punctual_v1_DescribeModelResponse__Output>): grpc.ClientUnaryCall;
  describeModel(argument: _punctual_v1_DescribeModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_DescribeModelResponse__Output>): grpc.ClientUnaryCall;
  describeModel(argument: _punctual_v1_DescribeModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_DescribeModelResponse__Output>): grpc.ClientUnaryCall;
  describeModel(argument: _punctual_v1_DescribeModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_DescribeModelResponse__Output>): grpc.ClientUnaryCall;
  describeModel(argument: _punctual_v1_DescribeModelRequest, callback: grpc.requestCallback<_punctual_v1_DescribeModelResponse__Output>): grpc.ClientUnaryCall;
  
  ExportModel(argument: _punctual_v1_ExportModelRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_ExportModelChunk__Output>;
  ExportModel(argument: _punctual_v1_ExportModelRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_ExportModelChunk__Output>;
  exportModel(argument: _punctual_v1_ExportModelRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_ExportModelChunk__Output>;
  exportModel(argument: _punctual_v1_ExportModelRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_ExportModelChunk__Output>;
  
  GetRing(argument: _punctual_v1_GetRingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_GetRingResponse__Output>): grpc.ClientUnaryCall;
  GetRing(argument: _punctual_v1_GetRingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_GetRingResponse__Output>): grpc.ClientUnaryCall;
  GetRing(argument: _punctual_v1_GetRingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_GetRingResponse__Output>): grpc.ClientUnaryCall;
  GetRing(argument: _punctual_v1_GetRingRequest, callback: grpc.requestCallback<_punctual_v1_GetRingResponse__Output>): grpc.ClientUnaryCall;
  getRing(argument: _punctual_v1_GetRingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_GetRingResponse__Output>): grpc.ClientUnaryCall;
  getRing(argument: _punctual_v1_GetRingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_GetRingResponse__Output>): grpc.ClientUnaryCall;
  getRing(argument: _punctual_v1_GetRingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_GetRingResponse__Output>): grpc.ClientUnaryCall;
  getRing(argument: _punctual_v1_GetRingRequest, callback: grpc.requestCallback<_punctual_v1_GetRingResponse__Output>): grpc.ClientUnaryCall;
  
  ListModels(argument: _punctual_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _punctual_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _punctual_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _punctual_v1_ListModelsRequest, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _punctual_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _punctual_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _punctual_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _punctual_v1_ListModelsRequest, callback: grpc.requestCallback<_punctual_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  
  ProfileModel(argument: _punctual_v1_ProfileModelRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_ProfileModelEvent__Output>;
  ProfileModel(argument: _punctual_v1_ProfileModelRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_ProfileModelEvent__Output>;
  profileModel(argument: _punctual_v1_ProfileModelRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_ProfileModelEvent__Output>;
  profileModel(argument: _punctual_v1_ProfileModelRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_ProfileModelEvent__Output>;
  
  RegisterModel(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_RegisterModelResponse__Output>): grpc.ClientWritableStream<_punctual_v1_RegisterModelRequest>;
  RegisterModel(metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_RegisterModelResponse__Output>): grpc.ClientWritableStream<_punctual_v1_RegisterModelRequest>;
  RegisterModel(options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_RegisterModelResponse__Output>): grpc.ClientWritableStream<_punctual_v1_RegisterModelRequest>;
  RegisterModel(callback: grpc.requestCallback<_punctual_v1_RegisterModelResponse__Output>): grpc.ClientWritableStream<_punctual_v1_RegisterModelRequest>;
  registerModel(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_RegisterModelResponse__Output>): grpc.ClientWritableStream<_punctual_v1_RegisterModelRequest>;
  registerModel(metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_RegisterModelResponse__Output>): grpc.ClientWritableStream<_punctual_v1_RegisterModelRequest>;
  registerModel(options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_RegisterModelResponse__Output>): grpc.ClientWritableStream<_punctual_v1_RegisterModelRequest>;
  registerModel(callback: grpc.requestCallback<_punctual_v1_RegisterModelResponse__Output>): grpc.ClientWritableStream<_punctual_v1_RegisterModelRequest>;
  
  UnregisterModel(argument: _punctual_v1_UnregisterModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_UnregisterModelResponse__Output>): grpc.ClientUnaryCall;
  UnregisterModel(argument: _punctual_v1_UnregisterModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_UnregisterModelResponse__Output>): grpc.ClientUnaryCall;
  UnregisterModel(argument: _punctual_v1_UnregisterModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_UnregisterModelResponse__Output>): grpc.ClientUnaryCall;
  UnregisterModel(argument: _punctual_v1_UnregisterModelRequest, callback: grpc.requestCallback<_punctual_v1_UnregisterModelResponse__Output>): grpc.ClientUnaryCall;
  unregisterModel(argument: _punctual_v1_UnregisterModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_UnregisterModelResponse__Output>): grpc.ClientUnaryCall;
  unregisterModel(argument: _punctual_v1_UnregisterModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_UnregisterModelResponse__Output>): grpc.ClientUnaryCall;
  unregisterModel(argument: _punctual_v1_UnregisterModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_UnregisterModelResponse__Output>): grpc.ClientUnaryCall;
  unregisterModel(argument: _punctual_v1_UnregisterModelRequest, callback: grpc.requestCallback<_punctual_v1_UnregisterModelResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  ClusterStatus: grpc.handleUnaryCall<_punctual_v1_ClusterStatusRequest__Output, _punctual_v1_ClusterStatusResponse>;
  
  DescribeModel: grpc.handleUnaryCall<_punctual_v1_DescribeModelRequest__Output, _punctual_v1_DescribeModelResponse>;
  
  ExportModel: grpc.handleServerStreamingCall<_punctual_v1_ExportModelRequest__Output, _punctual_v1_ExportModelChunk>;
  
  GetRing: grpc.handleUnaryCall<_punctual_v1_GetRingRequest__Output, _punctual_v1_GetRingResponse>;
  
  ListModels: grpc.handleUnaryCall<_punctual_v1_ListModelsRequest__Output, _punctual_v1_ListModelsResponse>;
  
  ProfileModel: grpc.handleServerStreamingCall<_punctual_v1_ProfileModelRequest__Output, _punctual_v1_ProfileModelEvent>;
  
  RegisterModel: grpc.handleClientStreamingCall<_punctual_v1_RegisterModelRequest__Output, _punctual_v1_RegisterModelResponse>;
  
  UnregisterModel: grpc.handleUnaryCall<_punctual_v1_UnregisterModelRequest__Output, _punctual_v1_UnregisterModelResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  ClusterStatus: MethodDefinition<_punctual_v1_ClusterStatusRequest, _punctual_v1_ClusterStatusResponse, _punctual_v1_ClusterStatusRequest__Output, _punctual_v1_ClusterStatusResponse__Output>
  DescribeModel: MethodDefinition<_punctual_v1_DescribeModelRequest, _punctual_v1_DescribeModelResponse, _punctual_v1_DescribeModelRequest__Output, _punctual_v1_DescribeModelResponse__Output>
  ExportModel: MethodDefinition<_punctual_v1_ExportModelRequest, _punctual_v1_ExportModelChunk, _punctual_v1_ExportModelRequest__Output, _punctual_v1_ExportModelChunk__Output>
  GetRing: MethodDefinition<_punctual_v1_GetRingRequest, _punctual_v1_GetRingResponse, _punctual_v1_GetRingRequest__Output, _punctual_v1_GetRingResponse__Output>
  ListModels: MethodDefinition<_punctual_v1_ListModelsRequest, _punctual_v1_ListModelsResponse, _punctual_v1_ListModelsRequest__Output, _punctual_v1_ListModelsResponse__Output>
  ProfileModel: MethodDefinition<_punctual_v1_ProfileModelRequest, _punctual_v1_ProfileModelEvent, _punctual_v1_ProfileModelRequest__Output, _punctual_v1_ProfileModelEvent__Output>
  RegisterModel: MethodDefinition<_punctual_v1_RegisterModelRequest, _punctual_v1_RegisterModelResponse, _punctual_v1_RegisterModelRequest__Output, _punctual_v1_RegisterModelResponse__Output>
  UnregisterModel: MethodDefinition<_punctual_v1_UnregisterModelRequest, _punctual_v1_UnregisterModelResponse, _punctual_v1_UnregisterModelRequest__Output, _punctual_v1_UnregisterModelResponse__Output>
}
