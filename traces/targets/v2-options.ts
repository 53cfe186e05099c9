// Options of the V2 targets, with their defaults in one place, and how a
// request's SLO travels to a V2 server (--slo-as).

/**
 * How the SLO reaches a V2 server:
 *  - `timeout`: the `timeout` request parameter in µs (Punctual takes it as the SLO; Triton as the
 *    queue timeout of models whose queue policy allows it); the client waits the SLO plus the grace.
 *  - `deadline`: the client's deadline is the SLO itself (gRPC: the call's deadline, which Punctual
 *    also reads as the SLO; HTTP: the client gives up then); no parameter.
 *  - `both`: the parameter, and the deadline at the SLO.
 *  - `none`: nothing; the server does not know it, the client waits the SLO plus the grace.
 */
export const SLO_AS = ['timeout', 'deadline', 'both', 'none'] as const;
export type SloAs = (typeof SLO_AS)[number];

/** HTTP tensors: the binary-data extension (Inference-Header-Content-Length) or plain JSON. */
export const ENCODINGS = ['binary', 'json'] as const;
export type Encoding = (typeof ENCODINGS)[number];

export interface V2TargetOptions {
  /** Bearer token, sent as `authorization: Bearer …` (metadata or header). */
  token?: string;
  /** CA certificate (PEM) for a TLS target. @default the system's CAs */
  ca?: Buffer;
  /** @default 'timeout' */
  sloAs: SloAs;
  /** HTTP only. @default 'binary' */
  encoding: Encoding;
  /** HTTP only: most connections kept open to the server (HTTP/1.1 carries one request at a time on each). @default 512 */
  connections: number;
}

export const DEFAULT_V2_OPTIONS: V2TargetOptions = { sloAs: 'timeout', encoding: 'binary', connections: 512 };

/** V2 metadata carries no SLO: requests get this one unless the run names one (--slo-ms). */
export const DEFAULT_V2_SLO_MS = 100;

/** Whether to send the `timeout` parameter, and when the client gives up (ms from the send). */
export function sloDeadline(sloAs: SloAs, sloMs: number, graceDeadlineMs: number): { timeoutParam: boolean; deadlineMs: number } {
  return {
    timeoutParam: sloAs === 'timeout' || sloAs === 'both',
    deadlineMs: sloAs === 'deadline' || sloAs === 'both' ? sloMs : graceDeadlineMs,
  };
}
