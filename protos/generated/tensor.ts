import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Tensor as _punctual_v1_Tensor, Tensor__Output as _punctual_v1_Tensor__Output } from './punctual/v1/Tensor.js';
import type { TensorSpec as _punctual_v1_TensorSpec, TensorSpec__Output as _punctual_v1_TensorSpec__Output } from './punctual/v1/TensorSpec.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  punctual: {
    v1: {
      Tensor: MessageTypeDefinition<_punctual_v1_Tensor, _punctual_v1_Tensor__Output>
      TensorSpec: MessageTypeDefinition<_punctual_v1_TensorSpec, _punctual_v1_TensorSpec__Output>
    }
  }
}

