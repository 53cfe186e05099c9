// Original file: protos/inference/grpc_service.proto

import type { InferStatistics as _inference_InferStatistics, InferStatistics__Output as _inference_InferStatistics__Output } from '../inference/InferStatistics.js';
import type { InferBatchStatistics as _inference_InferBatchStatistics, InferBatchStatistics__Output as _inference_InferBatchStatistics__Output } from '../inference/InferBatchStatistics.js';
import type { Long } from '@grpc/proto-loader';

export interface ModelStatistics {
  'name'?: (string);
  'version'?: (string);
  'lastInference'?: (number | string | Long);
  'inferenceCount'?: (number | string | Long);
  'executionCount'?: (number | string | Long);
  'inferenceStats'?: (_inference_InferStatistics | null);
  'batchStats'?: (_inference_InferBatchStatistics)[];
}

export interface ModelStatistics__Output {
  'name': (string);
  'version': (string);
  'lastInference': (number);
  'inferenceCount': (number);
  'executionCount': (number);
  'inferenceStats': (_inference_InferStatistics__Output | null);
  'batchStats': (_inference_InferBatchStatistics__Output)[];
}
