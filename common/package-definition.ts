// A gRPC package definition made from protobufjs JSON descriptors (what
// common/proto-descriptors.ts writes) instead of from .proto files: the same
// entries, method paths, stream kinds, names and (de)serializers as
// protoLoader.loadSync gives for the same files. What that costs at start-up is
// mostly not the parsing but the descriptor protos proto-loader builds of every
// message, enum and method (and loading protobufjs's descriptor extension to
// do it), which only reflection reads; here each of those fields is left to
// proto-loader itself, on the first read of one, and is not enumerable, so
// grpc-js copying a method's attributes onto a client does not compute them.
import type * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs/light.js';

type Handled = protobuf.Service | protobuf.Type | protobuf.Enum;

/** The services, messages and enums proto-loader makes an entry of, under the same names and in the same order. */
function handledObjects(obj: protobuf.ReflectionObject, parentName: string): Array<[string, Handled]> {
  const name = parentName === '' ? obj.name : `${parentName}.${obj.name}`;
  if (obj instanceof protobuf.Service || obj instanceof protobuf.Type || obj instanceof protobuf.Enum) return [[name, obj]];
  if (obj instanceof protobuf.Namespace && obj.nested !== undefined) {
    return Object.values(obj.nested).flatMap((child) => handledObjects(child, name));
  }
  return [];
}

/** proto-loader's serializer: a plain object in, the message's bytes out. */
function serializer(type: protobuf.Type): (arg: object) => Buffer {
  return (arg) => {
    if (Array.isArray(arg)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    return type.encode(type.fromObject(arg)).finish() as Buffer;
  };
}

/** proto-loader's deserializer: bytes in, a plain object shaped by the loader options out. */
function deserializer(type: protobuf.Type, options: protoLoader.Options): (buf: Buffer) => object {
  return (buf) => type.toObject(type.decode(buf), options);
}

/** Adds `key` to `target`, not enumerable, computed by `get` on its first read and kept. */
function onFirstRead(target: object, key: string, get: () => unknown): void {
  Object.defineProperty(target, key, {
    enumerable: false,
    configurable: true,
    get() {
      const value = get();
      Object.defineProperty(target, key, { value, enumerable: false, writable: true, configurable: true });
      return value;
    },
  });
}

/** proto-loader's camelCase of a method name for the ones .proto files use (PascalCase): `ClusterStatus` → `clusterStatus`. */
function originalName(method: string): string {
  return method.charAt(0).toLowerCase() + method.slice(1);
}

/**
 * The package definition of `json` (a protobufjs Root's toJSON()), deserializing
 * with `options` as proto-loader does. `exact` is proto-loader's own definition
 * of the same files (protoLoader.loadSync), called only when a descriptor field
 * (`type`, `fileDescriptorProtos`, `requestType`, `responseType`, `options`) is read.
 */
export function packageDefinition(json: protobuf.INamespace, options: protoLoader.Options, exact: () => protoLoader.PackageDefinition): protoLoader.PackageDefinition {
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
  const exactEntry = <T>(name: string): T => exact()[name] as T;
  const def: protoLoader.PackageDefinition = {};
  for (const [name, obj] of handledObjects(root, '')) {
    if (obj instanceof protobuf.Service) {
      const service: protoLoader.ServiceDefinition = {};
      for (const method of obj.methodsArray) {
        const request = method.resolvedRequestType!;
        const response = method.resolvedResponseType!;
        const m = {
          path: `/${name}/${method.name}`,
          requestStream: !!method.requestStream,
          responseStream: !!method.responseStream,
          requestSerialize: serializer(request),
          requestDeserialize: deserializer(request, options),
          responseSerialize: serializer(response),
          responseDeserialize: deserializer(response, options),
          originalName: originalName(method.name),
        };
        const exactMethod = (): protoLoader.MethodDefinition<object, object> => exactEntry<protoLoader.ServiceDefinition>(name)[method.name]!;
        onFirstRead(m, 'requestType', () => exactMethod().requestType);
        onFirstRead(m, 'responseType', () => exactMethod().responseType);
        onFirstRead(m, 'options', () => exactMethod().options);
        service[method.name] = m as protoLoader.MethodDefinition<object, object>;
      }
      def[name] = service;
    } else {
      const entry =
        obj instanceof protobuf.Type
          ? { format: 'Protocol Buffer 3 DescriptorProto', serialize: serializer(obj), deserialize: deserializer(obj, options) }
          : { format: 'Protocol Buffer 3 EnumDescriptorProto' };
      onFirstRead(entry, 'type', () => exactEntry<protoLoader.MessageTypeDefinition<object, object>>(name).type);
      onFirstRead(entry, 'fileDescriptorProtos', () => exactEntry<protoLoader.MessageTypeDefinition<object, object>>(name).fileDescriptorProtos);
      def[name] = entry as protoLoader.MessageTypeDefinition<object, object> | protoLoader.EnumTypeDefinition;
    }
  }
  return def;
}
