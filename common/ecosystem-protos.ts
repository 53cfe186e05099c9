// Loads the ecosystem's protocols that Punctual speaks beside its own:
// the Open Inference Protocol (package `inference`, protos/inference/) and
// gRPC health checking (package `grpc.health.v1`). Kept apart from
// common/protos.ts so punctual.v1 users do not load them.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as OipProto } from '../protos/generated/grpc_service.js';
import type { ProtoGrpcType as HealthProto } from '../protos/generated/health.js';
import { LOADER_OPTIONS, protosDir } from './protos.js';

export const OIP_PROTO_FILE = 'inference/grpc_service.proto';
export const HEALTH_PROTO_FILE = 'grpc/health/v1/health.proto';

/** The raw proto-loader definition (descriptors included); `keepCase` keeps the .proto's snake_case names. */
export function loadDefinition(file: string, keepCase = false): protoLoader.PackageDefinition {
  return protoLoader.loadSync(file, { ...LOADER_OPTIONS, keepCase, includeDirs: [protosDir()] });
}

/** The two protocols, each file parsed the first time it is asked for (a worker serves health, never OIP). */
class EcosystemProtos {
  #oip?: OipProto;
  #health?: HealthProto;

  get oip(): OipProto {
    return (this.#oip ??= grpc.loadPackageDefinition(loadDefinition(OIP_PROTO_FILE)) as unknown as OipProto);
  }

  get health(): HealthProto {
    return (this.#health ??= grpc.loadPackageDefinition(loadDefinition(HEALTH_PROTO_FILE)) as unknown as HealthProto);
  }
}

let cache: EcosystemProtos | undefined;

export function ecosystemProtos(): { readonly oip: OipProto; readonly health: HealthProto } {
  return (cache ??= new EcosystemProtos());
}
