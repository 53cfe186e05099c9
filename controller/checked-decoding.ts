// Requests whose bytes are not a valid protobuf message of their method.
// grpc-js answers a message it cannot decode with INTERNAL, which is the
// status for our own bugs; a client sending garbage deserves
// INVALID_ARGUMENT and a message saying what was wrong. Each method's
// deserializer is wrapped so that a failure yields a marker instead of a
// throw; the server-call adapter (services/server-call.ts) answers unary and
// server-streaming calls carrying the marker INVALID_ARGUMENT before their
// handler runs. A marker arriving on a client or bidi stream is an object
// with no fields, which those handlers already treat as a protocol error.
import type * as grpc from '@grpc/grpc-js';
import { quoted } from '../common/bounded-text.js';

const UNDECODABLE = Symbol('undecodable');

interface Undecodable {
  [UNDECODABLE]: string;
}

/** What was wrong with a request that did not decode (a message for the client), or undefined for a decoded one. */
export function undecodableReason(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null && UNDECODABLE in v ? (v as Undecodable)[UNDECODABLE] : undefined;
}

/** A copy of the service definition whose deserializers never throw. */
export function checkedDecoding(def: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, m] of Object.entries(def)) {
    const decode = m.requestDeserialize;
    out[name] = {
      ...m,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          return { [UNDECODABLE]: `the request to ${name} is not a valid protobuf message (${quoted(why, 120)}; ${bytes.byteLength} bytes)` } satisfies Undecodable;
        }
      },
    };
  }
  return out as grpc.ServiceDefinition;
}
