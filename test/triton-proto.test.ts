// Our inference protos (protos/inference/) against Triton's own
// grpc_service.proto and model_config.proto, vendored unchanged under
// test/fixtures/triton/ (README there: source and revision). Both sides are
// parsed with protobufjs; every message, field, enum value and RPC we
// declare must exist upstream under the same name with the same number,
// type, label (repeated, map) and oneof — so a Triton client's bytes mean
// the same to us. Upstream declares much more; what we leave out reads as
// its default. The two InferParameter fields Triton added after the vendored
// revision are checked against KServe's Open Inference Protocol instead.
import path from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

function load(dir: string, file: string): protobuf.Root {
  const root = new protobuf.Root();
  // Ours import "inference/model_config.proto" from protos/; Triton's "model_config.proto" beside it.
  root.resolvePath = (_origin, target) => path.join(dir, target);
  root.loadSync(file, { keepCase: true });
  root.resolveAll();
  return root;
}

const ours = load(path.join(ROOT, 'protos'), 'inference/grpc_service.proto');
const triton = load(path.join(ROOT, 'test/fixtures/triton'), 'grpc_service.proto');

/** Fields Punctual declares that the vendored (2023) Triton revision lacks: KServe's numbers and types. */
const NEWER_THAN_VENDORED: Record<string, { id: number; type: string }> = {
  'inference.InferParameter.double_param': { id: 4, type: 'double' },
  'inference.InferParameter.uint64_param': { id: 5, type: 'uint64' },
};

/** A field as the wire sees it: number, type (full name for messages and enums), label and oneof. */
function shape(f: protobuf.Field): Record<string, unknown> {
  return {
    id: f.id,
    type: f.resolvedType ? f.resolvedType.fullName : f.type,
    repeated: f.repeated,
    map: f instanceof protobuf.MapField ? f.keyType : undefined,
    oneof: f.partOf?.name,
  };
}

/** Every message and enum under `ns`, nested ones included, by full name. */
function declared(ns: protobuf.NamespaceBase): (protobuf.Type | protobuf.Enum)[] {
  const out: (protobuf.Type | protobuf.Enum)[] = [];
  for (const o of ns.nestedArray) {
    if (o instanceof protobuf.Type) out.push(o, ...declared(o));
    else if (o instanceof protobuf.Enum) out.push(o);
    else if (o instanceof protobuf.Namespace) out.push(...declared(o));
  }
  return out;
}

const ourPackage = ours.lookup('inference') as protobuf.Namespace;
const ourDecls = declared(ourPackage);

describe('inference protos match Triton grpc_service.proto and model_config.proto', () => {
  it('declares the messages and enums that matter (the test would catch nothing if these were missing)', () => {
    const names = ourDecls.map((d) => d.fullName);
    for (const n of ['.inference.ModelConfig', '.inference.ModelStatistics', '.inference.ModelStreamInferResponse', '.inference.DataType', '.inference.ModelInstanceGroup.Kind', '.inference.ModelInferRequest.InferInputTensor']) {
      expect(names).toContain(n);
    }
    expect(ourDecls.length).toBeGreaterThan(40);
  });

  for (const decl of ourDecls) {
    it(`${decl.fullName.slice(1)}: same ${decl instanceof protobuf.Type ? 'fields' : 'values'} as Triton`, () => {
      const up = triton.lookup(decl.fullName);
      expect(up, `${decl.fullName} is not in Triton's protos`).toBeTruthy();
      if (decl instanceof protobuf.Enum) {
        expect(up).toBeInstanceOf(protobuf.Enum);
        for (const [name, value] of Object.entries(decl.values)) expect([name, (up as protobuf.Enum).values[name]]).toEqual([name, value]);
        return;
      }
      expect(up).toBeInstanceOf(protobuf.Type);
      const upType = up as protobuf.Type;
      for (const f of decl.fieldsArray) {
        const key = `${decl.fullName.slice(1)}.${f.name}`;
        const newer = NEWER_THAN_VENDORED[key];
        if (newer) {
          expect(upType.fields[f.name], `${key} now upstream: drop it from NEWER_THAN_VENDORED`).toBeUndefined();
          expect({ id: f.id, type: f.type }).toEqual(newer);
          continue;
        }
        const theirs = upType.fields[f.name];
        expect(theirs, `${key} is not a field of Triton's ${decl.name}`).toBeTruthy();
        expect({ field: key, ...shape(f) }).toEqual({ field: key, ...shape(theirs!) });
      }
    });
  }

  it('serves Triton RPCs under their paths, with their request and response types and stream kinds', () => {
    const svc = ours.lookupService('inference.GRPCInferenceService');
    const up = triton.lookupService('inference.GRPCInferenceService');
    expect(svc.methodsArray.map((m) => m.name)).toContain('ModelStreamInfer');
    for (const m of svc.methodsArray) {
      const t = up.methods[m.name];
      expect(t, `${m.name} is not a Triton RPC`).toBeTruthy();
      expect([m.name, m.resolvedRequestType!.fullName, m.resolvedResponseType!.fullName, !!m.requestStream, !!m.responseStream]).toEqual([
        m.name,
        t!.resolvedRequestType!.fullName,
        t!.resolvedResponseType!.fullName,
        !!t!.requestStream,
        !!t!.responseStream,
      ]);
    }
  });

  it('a message Triton encodes decodes the same with ours (a ModelConfig, a ModelStatisticsResponse, a stream response)', () => {
    const samples: [string, Record<string, unknown>][] = [
      [
        'inference.ModelConfig',
        {
          name: 'cls',
          platform: 'onnxruntime_onnx',
          backend: 'onnxruntime',
          version_policy: { all: {} },
          max_batch_size: 8,
          input: [{ name: 'x', data_type: 11, format: 0, dims: [3, 48, 192] }],
          output: [{ name: 'y', data_type: 11, dims: [2] }],
          dynamic_batching: { preferred_batch_size: [1, 2, 4, 8], max_queue_delay_microseconds: 0 },
          instance_group: [{ name: 'cls_0', kind: 2, count: 2, gpus: [] }],
          default_model_filename: 'model.onnx',
        },
      ],
      [
        'inference.ModelStatisticsResponse',
        {
          model_stats: [
            {
              name: 'cls',
              version: '1',
              last_inference: 1_700_000_000_000,
              inference_count: 7,
              execution_count: 3,
              inference_stats: { success: { count: 7, ns: 12_345_678 }, fail: { count: 1, ns: 10 }, queue: { count: 7, ns: 5 } },
              batch_stats: [{ batch_size: 4, compute_infer: { count: 1, ns: 900 } }],
            },
          ],
        },
      ],
      ['inference.ModelStreamInferResponse', { error_message: 'x', infer_response: { id: 'a', model_name: 'cls', raw_output_contents: [Buffer.from([1, 2, 3])] } }],
    ];
    for (const [name, value] of samples) {
      const theirs = triton.lookupType(name);
      const mine = ours.lookupType(name);
      const bytes = theirs.encode(theirs.fromObject(value)).finish();
      const opts = { longs: Number, defaults: false, arrays: false };
      expect(mine.toObject(mine.decode(bytes), opts)).toEqual(theirs.toObject(theirs.decode(bytes), opts));
    }
  });
});
