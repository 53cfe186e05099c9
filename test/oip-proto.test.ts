// Our Open Inference Protocol and health protos against the public
// specifications: every message the spec defines that we serve, every field,
// by name and wire number. Expected numbers are copied from
// kserve/open-inference-protocol specification/protocol/open_inference_grpc.proto,
// triton-inference-server/common protobuf/grpc_service.proto (repository
// extension, and ModelRepositoryParameter.bytes_param from Triton's
// model_repository extension doc) and grpc/grpc-proto grpc/health/v1/health.proto.
import { describe, expect, it } from 'vitest';
import { HEALTH_PROTO_FILE, loadDefinition, OIP_PROTO_FILE } from '../common/ecosystem-protos.js';

const OIP: Record<string, Record<string, number>> = {
  ServerLiveRequest: {},
  ServerLiveResponse: { live: 1 },
  ServerReadyRequest: {},
  ServerReadyResponse: { ready: 1 },
  ModelReadyRequest: { name: 1, version: 2 },
  ModelReadyResponse: { ready: 1 },
  ServerMetadataRequest: {},
  ServerMetadataResponse: { name: 1, version: 2, extensions: 3 },
  ModelMetadataRequest: { name: 1, version: 2 },
  ModelMetadataResponse: { name: 1, versions: 2, platform: 3, inputs: 4, outputs: 5 },
  'ModelMetadataResponse.TensorMetadata': { name: 1, datatype: 2, shape: 3 },
  ModelInferRequest: { model_name: 1, model_version: 2, id: 3, parameters: 4, inputs: 5, outputs: 6, raw_input_contents: 7 },
  'ModelInferRequest.InferInputTensor': { name: 1, datatype: 2, shape: 3, parameters: 4, contents: 5 },
  'ModelInferRequest.InferRequestedOutputTensor': { name: 1, parameters: 2 },
  ModelInferResponse: { model_name: 1, model_version: 2, id: 3, parameters: 4, outputs: 5, raw_output_contents: 6 },
  'ModelInferResponse.InferOutputTensor': { name: 1, datatype: 2, shape: 3, parameters: 4, contents: 5 },
  InferParameter: { bool_param: 1, int64_param: 2, string_param: 3, double_param: 4, uint64_param: 5 },
  InferTensorContents: {
    bool_contents: 1,
    int_contents: 2,
    int64_contents: 3,
    uint_contents: 4,
    uint64_contents: 5,
    fp32_contents: 6,
    fp64_contents: 7,
    bytes_contents: 8,
  },
  ModelRepositoryParameter: { bool_param: 1, int64_param: 2, string_param: 3, bytes_param: 4 },
  RepositoryIndexRequest: { repository_name: 1, ready: 2 },
  RepositoryIndexResponse: { models: 1 },
  'RepositoryIndexResponse.ModelIndex': { name: 1, version: 2, state: 3, reason: 4 },
  RepositoryModelLoadRequest: { repository_name: 1, model_name: 2, parameters: 3 },
  RepositoryModelLoadResponse: {},
  RepositoryModelUnloadRequest: { repository_name: 1, model_name: 2, parameters: 3 },
  RepositoryModelUnloadResponse: {},
  // Triton's streaming, model configuration and statistics extensions.
  ModelStreamInferResponse: { error_message: 1, infer_response: 2 },
  ModelConfigRequest: { name: 1, version: 2 },
  ModelConfigResponse: { config: 1 },
  ModelStatisticsRequest: { name: 1, version: 2 },
  StatisticDuration: { count: 1, ns: 2 },
  InferStatistics: { success: 1, fail: 2, queue: 3, compute_input: 4, compute_infer: 5, compute_output: 6, cache_hit: 7, cache_miss: 8 },
  InferBatchStatistics: { batch_size: 1, compute_input: 2, compute_infer: 3, compute_output: 4 },
  ModelStatistics: { name: 1, version: 2, last_inference: 3, inference_count: 4, execution_count: 5, inference_stats: 6, batch_stats: 7 },
  ModelStatisticsResponse: { model_stats: 1 },
  // model_config.proto, the part Punctual answers with.
  ModelConfig: { name: 1, platform: 2, backend: 17, version_policy: 3, max_batch_size: 4, input: 5, output: 6, dynamic_batching: 11, instance_group: 7, default_model_filename: 8 },
  ModelInput: { name: 1, data_type: 2, format: 3, dims: 4 },
  ModelOutput: { name: 1, data_type: 2, dims: 3 },
  ModelInstanceGroup: { name: 1, kind: 4, count: 2, gpus: 3 },
  ModelVersionPolicy: { latest: 1, all: 2, specific: 3 },
  'ModelVersionPolicy.Latest': { num_versions: 1 },
  'ModelVersionPolicy.Specific': { versions: 1 },
  ModelDynamicBatching: { preferred_batch_size: 1, max_queue_delay_microseconds: 2, preserve_ordering: 3, priority_levels: 4, default_priority_level: 5 },
};

const HEALTH: Record<string, Record<string, number>> = {
  HealthCheckRequest: { service: 1 },
  HealthCheckResponse: { status: 1 },
};

interface FieldDescriptor {
  name: string;
  number: number;
  type: string;
  label: string;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
}

/** Fields of a message by dotted path under its package, from proto-loader's descriptors. */
function fieldsOf(file: string, pkg: string, path: string): Record<string, number> {
  const def = loadDefinition(file, true);
  const [top, ...nested] = path.split('.');
  const entry = def[`${pkg}.${top}`] as unknown as { type: MessageDescriptor } | undefined;
  if (!entry) throw new Error(`${pkg}.${top} missing from ${file}`);
  let msg = entry.type;
  for (const n of nested) {
    const next = msg.nestedType.find((t) => t.name === n);
    if (!next) throw new Error(`${path}: nested ${n} missing`);
    msg = next;
  }
  return Object.fromEntries(msg.field.map((f) => [f.name, f.number]));
}

describe('inference/grpc_service.proto matches the Open Inference Protocol', () => {
  for (const [message, expected] of Object.entries(OIP)) {
    it(`${message}: field names and numbers`, () => {
      expect(fieldsOf(OIP_PROTO_FILE, 'inference', message)).toEqual(expected);
    });
  }

  it('declares the service with the spec RPCs and their types', () => {
    const def = loadDefinition(OIP_PROTO_FILE, true);
    const svc = def['inference.GRPCInferenceService'] as unknown as Record<string, { path: string; requestStream: boolean; responseStream: boolean }>;
    const rpcs = ['ServerLive', 'ServerReady', 'ModelReady', 'ServerMetadata', 'ModelMetadata', 'ModelInfer', 'ModelStreamInfer', 'ModelConfig', 'ModelStatistics', 'RepositoryIndex', 'RepositoryModelLoad', 'RepositoryModelUnload'];
    expect(Object.keys(svc).sort()).toEqual([...rpcs].sort());
    for (const r of rpcs) {
      expect(svc[r]!.path).toBe(`/inference.GRPCInferenceService/${r}`);
      // ModelStreamInfer is bidirectional; every other one unary.
      expect([svc[r]!.requestStream, svc[r]!.responseStream]).toEqual(r === 'ModelStreamInfer' ? [true, true] : [false, false]);
    }
  });

  it('uses the spec field types for tensors (int64 shapes, repeated bytes raw contents, float fp32)', () => {
    const def = loadDefinition(OIP_PROTO_FILE, true);
    const req = (def['inference.ModelInferRequest'] as unknown as { type: MessageDescriptor }).type;
    const raw = req.field.find((f) => f.name === 'raw_input_contents')!;
    expect([raw.type, raw.label]).toEqual(['TYPE_BYTES', 'LABEL_REPEATED']);
    const input = req.nestedType.find((t) => t.name === 'InferInputTensor')!;
    expect(input.field.find((f) => f.name === 'shape')!.type).toBe('TYPE_INT64');
    const contents = (def['inference.InferTensorContents'] as unknown as { type: MessageDescriptor }).type;
    expect(contents.field.find((f) => f.name === 'fp32_contents')!.type).toBe('TYPE_FLOAT');
    expect(contents.field.find((f) => f.name === 'uint64_contents')!.type).toBe('TYPE_UINT64');
  });
});

describe('grpc/health/v1/health.proto matches the gRPC health checking protocol', () => {
  for (const [message, expected] of Object.entries(HEALTH)) {
    it(`${message}: field names and numbers`, () => {
      expect(fieldsOf(HEALTH_PROTO_FILE, 'grpc.health.v1', message)).toEqual(expected);
    });
  }

  it('has the ServingStatus values of the spec', () => {
    const def = loadDefinition(HEALTH_PROTO_FILE, true);
    const response = def['grpc.health.v1.HealthCheckResponse'] as unknown as { type: { enumType: { name: string; value: { name: string; number: number }[] }[] } };
    const enumType = response.type.enumType.find((e) => e.name === 'ServingStatus')!;
    expect(Object.fromEntries(enumType.value.map((v) => [v.name, v.number]))).toEqual({ UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 });
  });
});
