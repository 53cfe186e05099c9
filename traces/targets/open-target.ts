// A ReplayTarget for a parsed target (target-url.ts): the protocol and the
// transport choose the class; the token and the CA go to whichever it is.
import * as grpc from '@grpc/grpc-js';
import { PunctualTarget } from './punctual-target.js';
import type { ReplayTarget } from './target.js';
import type { TargetSpec } from './target-url.js';
import { V2GrpcTarget } from './v2-grpc-target.js';
import { V2HttpTarget } from './v2-http-target.js';
import { DEFAULT_V2_OPTIONS, type V2TargetOptions } from './v2-options.js';

export function openTarget(spec: TargetSpec, options: Partial<V2TargetOptions> = {}): ReplayTarget {
  const opts: V2TargetOptions = { ...DEFAULT_V2_OPTIONS, ...options };
  if (spec.protocol === 'punctual') {
    const credentials = spec.tls ? grpc.credentials.createSsl(opts.ca ?? null) : undefined;
    return new PunctualTarget(spec.authority, { ...(opts.token ? { token: opts.token } : {}), ...(credentials ? { credentials } : {}) }, spec.url);
  }
  return spec.transport === 'grpc' ? new V2GrpcTarget(spec, opts) : new V2HttpTarget(spec, opts);
}

