// The committed JSON descriptors say what the .proto files say, and the
// package definitions made from them (common/package-definition.ts) are
// proto-loader's for the same files: the same entries in the same order, the
// same paths, stream kinds and names, the same descriptors when read, and the
// same bytes and objects out of every serializer and deserializer, on a value
// for every field of every message and on an empty one.
import fs from 'node:fs';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { packageDefinition } from './package-definition.js';
import { descriptorsText, parseDescriptors } from './proto-descriptors.js';
import { descriptorsFile, LOADER_OPTIONS, protos, protosDir, PUNCTUAL_PROTO_FILES, type PunctualProtoName } from './protos.js';

const NAMES = Object.keys(PUNCTUAL_PROTO_FILES) as PunctualProtoName[];

const loadSync = (name: PunctualProtoName): protoLoader.PackageDefinition =>
  protoLoader.loadSync(PUNCTUAL_PROTO_FILES[name], { ...LOADER_OPTIONS, includeDirs: [protosDir()] });

function committed(name: PunctualProtoName): protobuf.INamespace {
  return (JSON.parse(fs.readFileSync(descriptorsFile(), 'utf8')) as Record<PunctualProtoName, protobuf.INamespace>)[name];
}

const SCALARS: Record<string, unknown> = {
  double: 1.25,
  float: 0.5,
  int32: -7,
  uint32: 7,
  sint32: -3,
  fixed32: 9,
  sfixed32: -9,
  int64: 123_456_789_012,
  uint64: 123_456_789_013,
  sint64: -123_456_789_014,
  fixed64: 123_456_789_015,
  sfixed64: -123_456_789_016,
  bool: true,
  string: 'héllo',
  bytes: Buffer.from([1, 2, 3, 250]),
};

/** A value for every field (one member per oneof, two entries per list and map), nested messages filled to `depth`. */
function sample(type: protobuf.Type, depth = 3): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const oneofsSet = new Set<string>();
  for (const field of type.fieldsArray) {
    field.resolve();
    if (field.partOf) {
      if (oneofsSet.has(field.partOf.name)) continue;
      oneofsSet.add(field.partOf.name);
    }
    const one = (i: number): unknown => {
      const t = field.resolvedType;
      if (t instanceof protobuf.Enum) return Object.keys(t.values)[Math.min(i + 1, Object.keys(t.values).length - 1)];
      if (t instanceof protobuf.Type) return depth > 0 ? sample(t, depth - 1) : {};
      const v = SCALARS[field.type];
      if (v === undefined) throw new Error(`no sample for ${field.type}`);
      return typeof v === 'number' ? v + i : v;
    };
    if (field instanceof protobuf.MapField) out[field.name] = { [field.keyType === 'string' ? 'a' : '1']: one(0), [field.keyType === 'string' ? 'b' : '2']: one(1) };
    else if (field.repeated) out[field.name] = [one(0), one(1)];
    else out[field.name] = one(0);
  }
  return out;
}

type Method = protoLoader.MethodDefinition<object, object>;
type Message = protoLoader.MessageTypeDefinition<object, object>;

describe('protos/generated/punctual-v1.json', () => {
  it('is what the .proto files say (if not: npm run protos, or npm run build && node dist/common/write-proto-descriptors.js)', () => {
    expect(fs.readFileSync(descriptorsFile(), 'utf8')).toBe(descriptorsText());
  });
});

describe.each(NAMES)('the %s definition from JSON descriptors', (name) => {
  const ours = packageDefinition(committed(name), LOADER_OPTIONS, () => loadSync(name));
  const theirs = loadSync(name);
  const root = protobuf.Root.fromJSON(parseDescriptors()[name]);

  it("has proto-loader's entries, in its order", () => {
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
  });

  it("has proto-loader's methods: paths, stream kinds, names, and descriptors when read", () => {
    for (const [key, def] of Object.entries(theirs)) {
      if ('format' in def) continue;
      const service = ours[key] as Record<string, Method>;
      expect(Object.keys(service)).toEqual(Object.keys(def));
      for (const [methodName, m] of Object.entries(def as Record<string, Method>)) {
        const o = service[methodName]!;
        expect([o.path, o.requestStream, o.responseStream, o.originalName]).toEqual([m.path, m.requestStream, m.responseStream, m.originalName]);
        // Read only on demand (not enumerable), then proto-loader's own.
        expect(Object.keys(o)).not.toContain('requestType');
        expect([o.requestType.type, o.responseType.type, o.options]).toEqual([m.requestType.type, m.responseType.type, m.options]);
        expect(o.requestType.fileDescriptorProtos).toEqual(m.requestType.fileDescriptorProtos);
      }
    }
  });

  it("has proto-loader's messages and enums: format, and descriptors when read", () => {
    for (const [key, def] of Object.entries(theirs)) {
      if (!('format' in def)) continue;
      const o = ours[key] as Message;
      expect(o.format).toBe(def.format);
      expect(o.type).toEqual(def.type);
      expect(o.fileDescriptorProtos).toEqual(def.fileDescriptorProtos);
    }
  });

  it('serializes and deserializes every message as proto-loader does', () => {
    let checked = 0;
    for (const [key, def] of Object.entries(theirs)) {
      if (def.format !== 'Protocol Buffer 3 DescriptorProto') continue;
      const m = def as Message;
      const o = ours[key] as Message;
      for (const value of [sample(root.lookupType(key)), {}]) {
        const bytes = m.serialize(value);
        expect(o.serialize(value)).toEqual(bytes);
        expect(o.deserialize(bytes)).toStrictEqual(m.deserialize(bytes));
        checked++;
      }
      expect(() => o.serialize([] as unknown as object)).toThrow(/got array instead/);
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("serializes and deserializes every method's request and response as proto-loader does", () => {
    for (const [key, def] of Object.entries(theirs)) {
      if ('format' in def) continue;
      for (const [methodName, m] of Object.entries(def as Record<string, Method>)) {
        const o = (ours[key] as Record<string, Method>)[methodName]!;
        const service = root.lookupService(key);
        const method = service.methods[methodName]!;
        method.resolve();
        const request = sample(method.resolvedRequestType!);
        const response = sample(method.resolvedResponseType!);
        const reqBytes = m.requestSerialize(request);
        const resBytes = m.responseSerialize(response);
        expect([o.requestSerialize(request), o.responseSerialize(response)]).toEqual([reqBytes, resBytes]);
        expect(o.requestDeserialize(reqBytes)).toStrictEqual(m.requestDeserialize(reqBytes));
        expect(o.responseDeserialize(resBytes)).toStrictEqual(m.responseDeserialize(resBytes));
      }
    }
  });
});

describe('protos()', () => {
  it('gives the services and messages of each file', () => {
    const p = protos();
    expect(p.admin.punctual.v1.Admin.service.ClusterStatus.path).toBe('/punctual.v1.Admin/ClusterStatus');
    expect(p.inference.punctual.v1.Inference.service.Infer.originalName).toBe('infer');
    expect(p.worker.punctual.v1.WorkerControl.service.Connect.requestStream).toBe(true);
    expect(p.inference.punctual.v1.InferRequest.format).toBe('Protocol Buffer 3 DescriptorProto');
    expect(protos()).toBe(p);
  });
});
