// Original file: protos/punctual/v1/inference.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AdmitEvent as _punctual_v1_AdmitEvent, AdmitEvent__Output as _punctual_v1_AdmitEvent__Output } from '../../punctual/v1/AdmitEvent.js';
import type { AdmitRequest as _punctual_v1_AdmitRequest, AdmitRequest__Output as _punctual_v1_AdmitRequest__Output } from '../../punctual/v1/AdmitRequest.js';
import type { InferRequest as _punctual_v1_InferRequest, InferRequest__Output as _punctual_v1_InferRequest__Output } from '../../punctual/v1/InferRequest.js';
import type { InferResponse as _punctual_v1_InferResponse, InferResponse__Output as _punctual_v1_InferResponse__Output } from '../../punctual/v1/InferResponse.js';

export interface InferenceClient extends grpc.Client {
  Admit(argument: _punctual_v1_AdmitRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_AdmitEvent__Output>;
  Admit(argument: _punctual_v1_AdmitRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_AdmitEvent__Output>;
  admit(argument: _punctual_v1_AdmitRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_AdmitEvent__Output>;
  admit(argument: _punctual_v1_AdmitRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_punctual_v1_AdmitEvent__Output>;
  
  Infer(argument: _punctual_v1_InferRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  Infer(argument: _punctual_v1_InferRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  Infer(argument: _punctual_v1_InferRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  Infer(argument: _punctual_v1_InferRequest, callback: grpc.requestCallback<_punctual_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  infer(argument: _punctual_v1_InferRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  infer(argument: _punctual_v1_InferRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_punctual_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  infer(argument: _punctual_v1_InferRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_punctual_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  infer(argument: _punctual_v1_InferRequest, callback: grpc.requestCallback<_punctual_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface InferenceHandlers extends grpc.UntypedServiceImplementation {
  Admit: grpc.handleServerStreamingCall<_punctual_v1_AdmitRequest__Output, _punctual_v1_AdmitEvent>;
  
  Infer: grpc.handleUnaryCall<_punctual_v1_InferRequest__Output, _punctual_v1_InferResponse>;
  
}

export interface InferenceDefinition extends grpc.ServiceDefinition {
  Admit: MethodDefinition<_punctual_v1_AdmitRequest, _punctual_v1_AdmitEvent, _punctual_v1_AdmitRequest__Output, _punctual_v1_AdmitEvent__Output>
  Infer: MethodDefinition<_punctual_v1_InferRequest, _punctual_v1_InferResponse, _punctual_v1_InferRequest__Output, _punctual_v1_InferResponse__Output>
}
