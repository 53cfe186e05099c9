// Original file: protos/punctual/v1/admin.proto

import type { InputDeclaration as _punctual_v1_InputDeclaration, InputDeclaration__Output as _punctual_v1_InputDeclaration__Output } from '../../punctual/v1/InputDeclaration.js';
import type { Long } from '@grpc/proto-loader';

export interface RegisterMetadata {
  'name'?: (string);
  'version'?: (number | string | Long);
  'inputs'?: (_punctual_v1_InputDeclaration)[];
  'maxBatch'?: (number);
  'batchSizes'?: (number)[];
  'defaultSloMs'?: (number | string);
  'size'?: (number | string | Long);
  'sha256'?: (string);
  'copies'?: (number);
  'threads'?: (number);
}

export interface RegisterMetadata__Output {
  'name': (string);
  'version': (number);
  'inputs': (_punctual_v1_InputDeclaration__Output)[];
  'maxBatch': (number);
  'batchSizes': (number)[];
  'defaultSloMs': (number);
  'size': (number);
  'sha256': (string);
  'copies': (number);
  'threads': (number);
}
