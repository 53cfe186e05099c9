// Original file: protos/punctual/v1/worker.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ControllerMessage as _punctual_v1_ControllerMessage, ControllerMessage__Output as _punctual_v1_ControllerMessage__Output } from '../../punctual/v1/ControllerMessage.js';
import type { WorkerMessage as _punctual_v1_WorkerMessage, WorkerMessage__Output as _punctual_v1_WorkerMessage__Output } from '../../punctual/v1/WorkerMessage.js';

export interface WorkerControlClient extends grpc.Client {
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_punctual_v1_WorkerMessage, _punctual_v1_ControllerMessage__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_punctual_v1_WorkerMessage, _punctual_v1_ControllerMessage__Output>;
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_punctual_v1_WorkerMessage, _punctual_v1_ControllerMessage__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_punctual_v1_WorkerMessage, _punctual_v1_ControllerMessage__Output>;
  
}

export interface WorkerControlHandlers extends grpc.UntypedServiceImplementation {
  Connect: grpc.handleBidiStreamingCall<_punctual_v1_WorkerMessage__Output, _punctual_v1_ControllerMessage>;
  
}

export interface WorkerControlDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_punctual_v1_WorkerMessage, _punctual_v1_ControllerMessage, _punctual_v1_WorkerMessage__Output, _punctual_v1_ControllerMessage__Output>
}
