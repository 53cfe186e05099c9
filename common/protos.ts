// Punctual's own services (punctual.v1), typed with the generated declarations
// in protos/generated (`npm run protos` regenerates them). They are loaded
// from protos/generated/punctual-v1.json, the .proto files as protobufjs JSON
// descriptors (common/proto-descriptors.ts), rather than parsed with
// proto-loader at start-up: that was a good part of a short CLI command's time.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import type http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import type { INamespace } from 'protobufjs';
import protobuf from 'protobufjs/light.js';
import type { ProtoGrpcType as InferenceProto } from '../protos/generated/inference.js';
import type { ProtoGrpcType as AdminProto } from '../protos/generated/admin.js';
import type { ProtoGrpcType as WorkerProto } from '../protos/generated/worker.js';
import { packageDefinition } from './package-definition.js';

/** protos/ at the package root, found from here both in sources and in dist/. */
export function protosDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'protos', 'punctual', 'v1');
    if (fs.existsSync(candidate)) return path.join(dir, 'protos');
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the protos/ folder');
}

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** The punctual.v1 files, each loaded on its own (with what it imports), as the generated types describe them. */
export const PUNCTUAL_PROTO_FILES = {
  inference: 'punctual/v1/inference.proto',
  admin: 'punctual/v1/admin.proto',
  worker: 'punctual/v1/worker.proto',
} as const;

export type PunctualProtoName = keyof typeof PUNCTUAL_PROTO_FILES;

/** protos/generated/punctual-v1.json: every file of PUNCTUAL_PROTO_FILES as a JSON descriptor. */
export function descriptorsFile(): string {
  return path.join(protosDir(), 'generated', 'punctual-v1.json');
}

let descriptors: Record<PunctualProtoName, INamespace> | undefined;

/** proto-loader's definition of a file, for the descriptor fields only reflection reads (see package-definition.ts). */
function loadSync(file: string): protoLoader.PackageDefinition {
  const loader = createRequire(import.meta.url)('@grpc/proto-loader') as typeof protoLoader;
  return loader.loadSync(file, { ...LOADER_OPTIONS, includeDirs: [protosDir()] });
}

function load<T>(name: PunctualProtoName): T {
  descriptors ??= JSON.parse(fs.readFileSync(descriptorsFile(), 'utf8')) as Record<PunctualProtoName, INamespace>;
  let exact: protoLoader.PackageDefinition | undefined;
  const def = packageDefinition(descriptors[name], LOADER_OPTIONS, () => (exact ??= loadSync(PUNCTUAL_PROTO_FILES[name])));
  return grpc.loadPackageDefinition(def) as unknown as T;
}

/** Punctual's services, each file loaded the first time it is asked for: a client uses inference and admin, never worker. */
class Protos {
  #inference?: InferenceProto;
  #admin?: AdminProto;
  #worker?: WorkerProto;

  get inference(): InferenceProto {
    return (this.#inference ??= load<InferenceProto>('inference'));
  }

  get admin(): AdminProto {
    return (this.#admin ??= load<AdminProto>('admin'));
  }

  get worker(): WorkerProto {
    return (this.#worker ??= load<WorkerProto>('worker'));
  }
}

let cache: Protos | undefined;

/** A message passed between two ends in one process, as its receiver would read it off the wire. */
export type Carry = (message: object) => object;

/**
 * How a message of `type` (e.g. 'punctual.v1.WorkerMessage') in `file` crosses
 * an in-process stream (common/local-stream.ts): normalized as its
 * deserializer would give it (defaults, enums as names, int64 as numbers,
 * the oneof's case) without encoding it, so its bytes fields are the sender's
 * buffers, not copies. Receivers treat received bytes as read-only, as they
 * must a view into a gRPC message.
 */
export function inProcessCarry(file: PunctualProtoName, type: string): Carry {
  descriptors ??= JSON.parse(fs.readFileSync(descriptorsFile(), 'utf8')) as Record<PunctualProtoName, INamespace>;
  const t = carryRoot(file).lookupType(type);
  return (m) => {
    if (Array.isArray(m)) throw new Error(`Failed to serialize message: expected object with ${t.name} structure, got array instead`);
    return t.toObject(t.fromObject(m), LOADER_OPTIONS);
  };
}

const carryRoots = new Map<PunctualProtoName, protobuf.Root>();

function carryRoot(file: PunctualProtoName): protobuf.Root {
  let root = carryRoots.get(file);
  if (!root) {
    root = protobuf.Root.fromJSON(descriptors![file]);
    root.resolveAll();
    carryRoots.set(file, root);
  }
  return root;
}

export function protos(): { readonly inference: InferenceProto; readonly admin: AdminProto; readonly worker: WorkerProto } {
  return (cache ??= new Protos());
}

/**
 * Bytes per message of a model file on the wire, every way it travels:
 * RegisterModel's upload (client/admin.ts), ExportModel
 * (controller/services/model-export.ts) and a worker's ModelBytes
 * (controller/worker-connection.ts); what one transfer holds in memory per
 * message in flight.
 */
export const MODEL_CHUNK_BYTES = 1024 * 1024;

const FLOW_CONTROL_WINDOW = 16 * 1024 * 1024;

/** gRPC channel options shared by every process: big messages (tensors, model chunks). */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // HTTP/2's default 64 KiB flow-control window makes a 600 KB tensor wait
  // for several WINDOW_UPDATE round trips; a large window sends it at once.
  'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  'grpc.max_send_message_length': 256 * 1024 * 1024,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};

export const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  'grpc.max_send_message_length': 256 * 1024 * 1024,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  // Per-call channelz bookkeeping costs the controller CPU on every request; nothing reads it.
  'grpc.enable_channelz': 0,
};

/**
 * Looks at every new HTTP/2 stream before grpc-js does: call `pass()` to
 * hand it on (untouched, or with its headers amended), or answer it yourself
 * and never pass it (see controller/early-admission.ts).
 */
export type StreamGate = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, pass: () => void) => void;

type SetupHandlers = (http2Server: http2.Http2Server, ...rest: unknown[]) => unknown;

/** Servers whose streams go through their gate (grpc-js's internals allowed it). */
const gated = new WeakSet<grpc.Server>();

/** Whether createServer could put `gate` in front of grpc-js for this server. */
export function hasStreamGate(server: grpc.Server): boolean {
  return gated.has(server);
}

/**
 * A grpc-js server whose HTTP/2 sessions advertise large receive windows,
 * per stream and per connection, and whose streams can pass a gate first.
 * grpc-js reads `grpc-node.flow_control_window` only on the client side, so
 * the server's stream settings are set here before it binds, and each new
 * session's connection-level window is raised as it is accepted. With
 * HTTP/2's default 64 KiB connection window every request body shares 64 KiB
 * per round trip: measured here, a bare grpc-js server then took in
 * det-sized (602 KB) requests at ~200 a second using most of a core, and 800
 * a second with the window raised. Both hooks use grpc-js internals
 * (`commonServerOptions`, `_setupHandlers`); when they are missing the server
 * still works, with default windows and no gate (hasStreamGate says so).
 */
export function createServer(extra: grpc.ServerOptions = {}, gate?: StreamGate): grpc.Server {
  const server = new grpc.Server({ ...SERVER_OPTIONS, ...extra });
  const internals = server as unknown as {
    commonServerOptions?: { settings?: Record<string, unknown> };
    _setupHandlers?: SetupHandlers;
  };
  if (internals.commonServerOptions) {
    internals.commonServerOptions.settings = { ...internals.commonServerOptions.settings, initialWindowSize: FLOW_CONTROL_WINDOW, maxFrameSize: 1024 * 1024 };
  }
  const setup = internals._setupHandlers;
  if (typeof setup === 'function') {
    if (gate) gated.add(server);
    internals._setupHandlers = function (this: unknown, http2Server: http2.Http2Server, ...rest: unknown[]) {
      http2Server.on('session', (session: http2.ServerHttp2Session) => {
        const raise = (): void => {
          try {
            session.setLocalWindowSize(FLOW_CONTROL_WINDOW);
          } catch {
            // the session is already gone
          }
        };
        if (session.connecting) session.once('connect', raise);
        else raise();
      });
      if (!gate) return setup.call(this, http2Server, ...rest);
      // grpc-js registers its 'stream' handler inside setup: put the gate in front of it.
      const on = http2Server.on;
      http2Server.on = function (this: http2.Http2Server, event: string | symbol, listener: (...args: unknown[]) => void) {
        if (event !== 'stream') return on.call(this, event, listener);
        const handle = listener as unknown as (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ...more: unknown[]) => void;
        return on.call(this, 'stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ...more: unknown[]) =>
          gate(stream, headers, () => handle(stream, headers, ...more)),
        );
      } as typeof http2Server.on;
      try {
        return setup.call(this, http2Server, ...rest);
      } finally {
        http2Server.on = on;
      }
    };
  }
  return server;
}
