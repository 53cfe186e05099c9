// Original file: protos/punctual/v1/worker.proto

import type { LoadedModel as _punctual_v1_LoadedModel, LoadedModel__Output as _punctual_v1_LoadedModel__Output } from '../../punctual/v1/LoadedModel.js';
import type { Long } from '@grpc/proto-loader';

export interface ExecutorInfo {
  'index'?: (number);
  'device'?: (string);
  'threads'?: (number);
  'memoryBytes'?: (number | string | Long);
  'lanes'?: (number);
  'loaded'?: (_punctual_v1_LoadedModel)[];
}

export interface ExecutorInfo__Output {
  'index': (number);
  'device': (string);
  'threads': (number);
  'memoryBytes': (number);
  'lanes': (number);
  'loaded': (_punctual_v1_LoadedModel__Output)[];
}
