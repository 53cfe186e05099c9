import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdmitEvent as _punctual_v1_AdmitEvent, AdmitEvent__Output as _punctual_v1_AdmitEvent__Output } from './punctual/v1/AdmitEvent.js';
import type { AdmitRequest as _punctual_v1_AdmitRequest, AdmitRequest__Output as _punctual_v1_AdmitRequest__Output } from './punctual/v1/AdmitRequest.js';
import type { InferRequest as _punctual_v1_InferRequest, InferRequest__Output as _punctual_v1_InferRequest__Output } from './punctual/v1/InferRequest.js';
import type { InferResponse as _punctual_v1_InferResponse, InferResponse__Output as _punctual_v1_InferResponse__Output } from './punctual/v1/InferResponse.js';
import type { InferenceClient as _punctual_v1_InferenceClient, InferenceDefinition as _punctual_v1_InferenceDefinition } from './punctual/v1/Inference.js';
import type { StageAt as _punctual_v1_StageAt, StageAt__Output as _punctual_v1_StageAt__Output } from './punctual/v1/StageAt.js';
import type { Tensor as _punctual_v1_Tensor, Tensor__Output as _punctual_v1_Tensor__Output } from './punctual/v1/Tensor.js';
import type { TensorSpec as _punctual_v1_TensorSpec, TensorSpec__Output as _punctual_v1_TensorSpec__Output } from './punctual/v1/TensorSpec.js';
import type { Timings as _punctual_v1_Timings, Timings__Output as _punctual_v1_Timings__Output } from './punctual/v1/Timings.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  punctual: {
    v1: {
      AdmitEvent: MessageTypeDefinition<_punctual_v1_AdmitEvent, _punctual_v1_AdmitEvent__Output>
      AdmitRequest: MessageTypeDefinition<_punctual_v1_AdmitRequest, _punctual_v1_AdmitRequest__Output>
      InferRequest: MessageTypeDefinition<_punctual_v1_InferRequest, _punctual_v1_InferRequest__Output>
      InferResponse: MessageTypeDefinition<_punctual_v1_InferResponse, _punctual_v1_InferResponse__Output>
      Inference: SubtypeConstructor<typeof grpc.Client, _punctual_v1_InferenceClient> & { service: _punctual_v1_InferenceDefinition }
      StageAt: MessageTypeDefinition<_punctual_v1_StageAt, _punctual_v1_StageAt__Output>
      Tensor: MessageTypeDefinition<_punctual_v1_Tensor, _punctual_v1_Tensor__Output>
      TensorSpec: MessageTypeDefinition<_punctual_v1_TensorSpec, _punctual_v1_TensorSpec__Output>
      Timings: MessageTypeDefinition<_punctual_v1_Timings, _punctual_v1_Timings__Output>
    }
  }
}

