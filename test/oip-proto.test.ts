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
    const rpcs = ['ServerLive', 'ServerReady', 'ModelReady', 'ServerMetadata', 'ModelMetadata', 'ModelInfer', 'RepositoryIndex', 'RepositoryModelLoad', 'RepositoryModelUnload'];
    expect(Object.keys(svc).sort()).toEqual([...rpcs].sort());
    for (const r of rpcs) {
      expect(svc[r]!.path).toBe(`/inference.GRPCInferenceService/${r}`);
      expect(svc[r]!.requestStream || svc[r]!.responseStream).toBe(false);
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
