// The punctual.v1 .proto files as protobufjs JSON descriptors, the form
// common/protos.ts loads at start-up instead of parsing the files (see
// common/package-definition.ts). The JSON is committed beside the generated
// types, protos/generated/punctual-v1.json; write-proto-descriptors.ts
// rewrites it, and common/proto-descriptors.test.ts fails while it differs
// from what the .proto files say.
import path from 'node:path';
import protobuf from 'protobufjs';
import { LOADER_OPTIONS, PUNCTUAL_PROTO_FILES, protosDir, type PunctualProtoName } from './protos.js';

/** Each punctual.v1 file parsed as proto-loader parses it (its options, imports from protos/), as a JSON descriptor. */
export function parseDescriptors(): Record<PunctualProtoName, protobuf.INamespace> {
  const dir = protosDir();
  const parse = (file: string): protobuf.INamespace => {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
    root.loadSync(file, LOADER_OPTIONS);
    root.resolveAll();
    return root.toJSON();
  };
  const names = Object.keys(PUNCTUAL_PROTO_FILES) as PunctualProtoName[];
  return Object.fromEntries(names.map((name) => [name, parse(PUNCTUAL_PROTO_FILES[name])])) as Record<PunctualProtoName, protobuf.INamespace>;
}

/** The text of protos/generated/punctual-v1.json for the .proto files as they are. */
export function descriptorsText(): string {
  return JSON.stringify(parseDescriptors(), null, 2) + '\n';
}
