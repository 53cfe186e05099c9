// Options of PunctualClient and of one infer call: the documented public
// types, and the compiled form the client uses (defaults filled in one place).
import * as grpc from '@grpc/grpc-js';
import { InvalidInputError } from './errors.js';

export interface PunctualClientOptions {
  /** Channel credentials (TLS). @default grpc.credentials.createInsecure() */
  credentials?: grpc.ChannelCredentials;
  /** Bearer token, sent on every call as `authorization: Bearer <token>` metadata. */
  token?: string;
  /**
   * Deadline for calls that set none, in ms from the call. The controller takes
   * the gRPC deadline as the request's SLO when `sloMs` is absent, so leaving
   * this unset lets the model's default SLO apply. @default none
   */
  defaultDeadlineMs?: number;
  /** Extra grpc-js channel options, merged over the project's defaults. */
  channelOptions?: grpc.ChannelOptions;
  /**
   * The data plane: infer() sends a request's tensors straight to the worker
   * the controller names for it (Inference.Admit, then the worker's data
   * port), not through the controller. A controller without it (a worker
   * with no data port, TLS) answers no_data_plane, and infer() then uses
   * Infer for the next 10 s. @default false
   */
  dataPlane?: boolean;
  /**
   * Trust for workers whose data port speaks TLS (what a TLS controller's
   * data plane uses): `ca`, the PEM certificates to trust (default: the
   * system's; usually the CA of the controller's certificate), and
   * `servername`, the name the workers' certificates carry (default: the
   * data address's host).
   */
  dataPlaneTls?: { ca?: string | Buffer; servername?: string };
  /**
   * With the data plane on, a request whose inputs total fewer bytes than
   * this goes through Infer all the same: the data plane costs it a round
   * trip to the controller before its tensors leave, more than the second
   * crossing of so few bytes that it saves (a 64-byte request was 1.6 ms
   * slower through it at 2 ms round trips, det's 602 KB 9.3 ms faster:
   * BENCHMARKS.md, A remote client). 0: every request through the data
   * plane. @default 65536
   */
  dataPlaneMinBytes?: number;
}

export interface InferOptions {
  /** Latency objective in ms, measured from arrival at the controller. @default the gRPC deadline, else the model's default SLO */
  sloMs?: number;
  /** Model version to pin. @default the newest ready version */
  version?: number;
  /** gRPC deadline in ms from now. @default the client's `defaultDeadlineMs` */
  deadlineMs?: number;
  /** Cancels the call; it then rejects with a PunctualClientError of status CANCELLED. */
  signal?: AbortSignal;
}

/** Inputs smaller than this (bytes, all together) take Infer even with the data plane on (PunctualClientOptions.dataPlaneMinBytes). */
export const DATA_PLANE_MIN_BYTES = 64 * 1024;

export interface CompiledClientOptions {
  credentials: grpc.ChannelCredentials;
  metadata: () => grpc.Metadata;
  defaultDeadlineMs: number | undefined;
  channelOptions: grpc.ChannelOptions;
  dataPlane: boolean;
  dataPlaneMinBytes: number;
}

function badMs(v: number | undefined): boolean {
  return v !== undefined && !(Number.isFinite(v) && v > 0);
}

function invalid(message: string): InvalidInputError {
  return new InvalidInputError(grpc.status.INVALID_ARGUMENT, message, 'invalid_argument');
}

export function compileClientOptions(opts: PunctualClientOptions, baseChannelOptions: grpc.ChannelOptions): CompiledClientOptions {
  if (badMs(opts.defaultDeadlineMs)) throw new RangeError(`defaultDeadlineMs must be a positive number of ms, not ${opts.defaultDeadlineMs}`);
  const minBytes = opts.dataPlaneMinBytes ?? DATA_PLANE_MIN_BYTES;
  if (!(Number.isSafeInteger(minBytes) && minBytes >= 0)) throw new RangeError(`dataPlaneMinBytes must be a whole number of bytes, 0 or more, not ${opts.dataPlaneMinBytes}`);
  const token = opts.token;
  return {
    credentials: opts.credentials ?? grpc.credentials.createInsecure(),
    metadata: () => {
      const md = new grpc.Metadata();
      if (token !== undefined && token !== '') md.set('authorization', `Bearer ${token}`);
      return md;
    },
    defaultDeadlineMs: opts.defaultDeadlineMs,
    dataPlane: opts.dataPlane ?? false,
    dataPlaneMinBytes: minBytes,
    channelOptions: { ...baseChannelOptions, 'grpc.primary_user_agent': 'punctual-client', ...opts.channelOptions },
  };
}

/** Throws InvalidInputError for options no server would accept. */
export function checkInferOptions(opts: InferOptions): void {
  if (badMs(opts.sloMs)) throw invalid(`sloMs must be a positive number of ms, not ${opts.sloMs}`);
  if (badMs(opts.deadlineMs)) throw invalid(`deadlineMs must be a positive number of ms, not ${opts.deadlineMs}`);
  if (opts.version !== undefined && !(Number.isInteger(opts.version) && opts.version >= 0)) {
    throw invalid(`version must be a non-negative integer, not ${opts.version}`);
  }
}
