// Which server a replay talks to, and how: `--target URL`, or the global
// --controller address with --protocol and --transport. Pure parsing, so
// every combination is a unit test.
//
//   grpc://host:port    gRPC, plaintext          grpcs://host:port   gRPC over TLS
//   http://host[:port][/prefix]  HTTP/REST       https://…            HTTP over TLS
//   host:port           gRPC (or --transport http), TLS when a CA is given (as --controller)
//
// A --target implies the Open Inference Protocol (`--protocol v2`) unless
// --protocol punctual says otherwise; Punctual's own protocol is gRPC only.

export const PROTOCOLS = ['punctual', 'v2'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
export const TRANSPORTS = ['grpc', 'http'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export interface TargetSpec {
  protocol: Protocol;
  transport: Transport;
  tls: boolean;
  /** host:port ([v6]:port for IPv6). */
  authority: string;
  /** HTTP only: a path prefix the server's /v2 routes sit under ('' for none, else starting with '/', no trailing '/'). */
  basePath: string;
  /** The target spelled out in full, e.g. "grpcs://10.0.0.5:8001". */
  url: string;
}

export interface TargetChoice {
  /** `--target`, a URL or host:port. */
  target?: string;
  protocol?: Protocol;
  transport?: Transport;
  /** The global --controller, used when no --target is given. */
  controller: string;
  /** Whether the global --tls-ca is given: a scheme-less address is then TLS, as --controller is. */
  tlsCa?: boolean;
}

const SCHEMES: Record<string, { transport: Transport; tls: boolean }> = {
  'grpc:': { transport: 'grpc', tls: false },
  'grpcs:': { transport: 'grpc', tls: true },
  'http:': { transport: 'http', tls: false },
  'https:': { transport: 'http', tls: true },
};

/** A target the user cannot have meant; the message says what to write instead. */
export class TargetSyntaxError extends Error {
  override name = 'TargetSyntaxError';
}

function bad(message: string): TargetSyntaxError {
  return new TargetSyntaxError(message);
}

function portOf(s: string, what: string): number {
  const p = Number(s);
  if (!/^\d{1,5}$/.test(s) || p < 1 || p > 65535) throw bad(`${what}: port ${JSON.stringify(s)} must be 1-65535`);
  return p;
}

/** "host:port" or "[v6]:port" → its parts; the port is required. */
function hostPort(s: string, what: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+):([^:]*)$/.exec(s);
  if (!m) throw bad(`${what}: ${JSON.stringify(s)} is not host:port (or a URL such as grpc://host:8001, http://host:8000)`);
  return { host: m[1]!, port: portOf(m[2]!, what) };
}

function fromUrl(raw: string): { transport: Transport; tls: boolean; authority: string; basePath: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw bad(`--target ${JSON.stringify(raw)} is not a URL`);
  }
  const scheme = SCHEMES[u.protocol];
  if (!scheme) throw bad(`--target ${JSON.stringify(raw)}: unknown scheme ${u.protocol.replace(/:$/, '')}; use grpc://, grpcs://, http:// or https://`);
  if (u.username || u.password) throw bad(`--target ${JSON.stringify(raw)}: no credentials in the URL; give a bearer token with --token`);
  if (u.search || u.hash) throw bad(`--target ${JSON.stringify(raw)}: no query or fragment`);
  if (u.hostname === '') throw bad(`--target ${JSON.stringify(raw)} has no host`);
  const path = u.pathname.replace(/\/+$/, '');
  let port: number;
  if (scheme.transport === 'grpc') {
    if (path !== '') throw bad(`--target ${JSON.stringify(raw)}: a gRPC target has no path`);
    // gRPC has no default port (Triton's is 8001, Punctual's 7000, KServe's 8081): it must be said.
    if (u.port === '') throw bad(`--target ${JSON.stringify(raw)} needs a port (e.g. ${u.protocol}//${u.hostname}:8001)`);
    port = portOf(u.port, '--target');
  } else {
    if (path.endsWith('/v2') || path.includes('/v2/')) throw bad(`--target ${JSON.stringify(raw)}: give the server's base URL, without /v2 (replay adds /v2/models/…)`);
    port = u.port === '' ? (scheme.tls ? 443 : 80) : portOf(u.port, '--target');
  }
  // URL keeps the brackets of an IPv6 hostname.
  return { transport: scheme.transport, tls: scheme.tls, authority: `${u.hostname}:${port}`, basePath: path };
}

/** Resolves the replay's target from the flags; throws TargetSyntaxError with what to write instead. */
export function parseTarget(choice: TargetChoice): TargetSpec {
  const given = choice.target?.trim();
  const hasScheme = given !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(given);
  let transport: Transport;
  let tls: boolean;
  let authority: string;
  let basePath = '';
  if (given !== undefined && hasScheme) {
    const u = fromUrl(given);
    if (choice.transport !== undefined && choice.transport !== u.transport) {
      throw bad(`--transport ${choice.transport} contradicts --target ${given}, which is ${u.transport}; drop one of them`);
    }
    ({ transport, tls, authority, basePath } = u);
  } else {
    const hp = hostPort(given ?? choice.controller, given !== undefined ? '--target' : '--controller');
    transport = choice.transport ?? 'grpc';
    tls = choice.tlsCa === true;
    authority = `${hp.host}:${hp.port}`;
  }
  const protocol: Protocol = choice.protocol ?? (given !== undefined ? 'v2' : 'punctual');
  if (protocol === 'punctual' && transport === 'http') {
    throw bad("Punctual's own protocol (punctual.v1) is gRPC only: use --protocol v2 for HTTP/REST");
  }
  const scheme = transport === 'grpc' ? (tls ? 'grpcs' : 'grpc') : tls ? 'https' : 'http';
  return { protocol, transport, tls, authority, basePath, url: `${scheme}://${authority}${basePath}` };
}

/**
 * `compare --targets`: "NAME=URL,NAME=URL" (a name may be left out: the
 * URL's host:port names it). Names must differ; they name the columns and
 * the --out subfolders.
 */
export function parseNamedTargets(s: string): { name: string; target: string }[] {
  const entries = s
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length < 2) throw bad('--targets needs at least two, comma-separated: NAME=URL,NAME=URL (e.g. punctual=grpc://127.0.0.1:7000,triton=grpc://gpu1:8001)');
  const out = entries.map((e) => {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(e);
    const target = m ? m[2]! : e;
    const name = m ? m[1]! : target.replace(/^[a-z]+:\/\//i, '').replace(/[^A-Za-z0-9_.-]+/g, '_');
    return { name, target };
  });
  const names = out.map((t) => t.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw bad(`--targets names ${twice} twice; give each a different NAME=`);
  return out;
}
