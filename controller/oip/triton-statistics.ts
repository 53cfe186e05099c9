// A model version's statistics snapshot (controller/model-statistics.ts) in
// Triton's wire form, ModelStatistics of grpc_service.proto. The snapshot
// says what each figure means; this only renames.
import type { ModelStatistics as ModelStatisticsProto } from '../../protos/generated/inference/ModelStatistics.js';
import type { ModelStatsSnapshot } from '../model-statistics.js';

export function tritonStatistics(s: ModelStatsSnapshot): ModelStatisticsProto {
  return {
    name: s.name,
    version: String(s.version),
    lastInference: s.lastInference,
    inferenceCount: s.inferenceCount,
    executionCount: s.executionCount,
    inferenceStats: {
      success: s.success,
      fail: s.fail,
      queue: s.queue,
      computeInput: s.computeInput,
      computeInfer: s.computeInfer,
      computeOutput: s.computeOutput,
      // No response cache.
      cacheHit: { count: 0, ns: 0 },
      cacheMiss: { count: 0, ns: 0 },
    },
    batchStats: s.batches.map((b) => ({ batchSize: b.batchSize, computeInput: b.computeInput, computeInfer: b.computeInfer, computeOutput: b.computeOutput })),
  };
}
