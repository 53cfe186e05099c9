// A throwaway self-signed X.509 certificate for TLS tests, in pure Node (no
// openssl binary, no dependency): an EC P-256 key from node:crypto and a
// minimal DER writer for the v3 TBSCertificate (CN, validity, SubjectAltName
// for the given DNS names and IPv4 addresses, basicConstraints CA:TRUE so the
// certificate is its own trust anchor), signed with ecdsa-with-SHA256.
import crypto from 'node:crypto';
import net from 'node:net';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const groups: number[] = [];
    for (let v = p; ; v = Math.floor(v / 128)) {
      groups.unshift(v % 128);
      if (v < 128) break;
    }
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(d: Date): Buffer {
  const p = (n: number): string => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(s, 'ascii'));
}

export interface SelfSigned {
  /** Certificate (PEM); also the CA a client trusts. */
  cert: string;
  /** PKCS#8 private key (PEM). */
  key: string;
}

/** A certificate valid from an hour ago for `days`, for the given names ("localhost", "127.0.0.1"). */
export function selfSignedCertificate(names: string[] = ['localhost', '127.0.0.1'], commonName = 'punctual-test', days = 1): SelfSigned {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.3'), utf8(commonName))));
  const serial = crypto.randomBytes(16);
  // Positive (top bit clear) and minimal: a leading 0x00 byte before one under 0x80 is illegal DER
  // padding, which OpenSSL refuses (1 certificate in 256 failed to load before).
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const now = Date.now();
  const altNames = names.map((n) => {
    if (net.isIPv4(n)) return tlv(0x87, Buffer.from(n.split('.').map(Number)));
    return tlv(0x82, Buffer.from(n, 'ascii'));
  });
  const extensions = seq(
    seq(oid('2.5.29.19'), bool(true), octets(seq(bool(true)))),
    seq(oid('2.5.29.17'), octets(seq(...altNames))),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ecdsaSha256,
    name,
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + days * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, extensions),
  );
  const signature = crypto.sign('sha256', tbs, privateKey);
  const der = seq(tbs, ecdsaSha256, tlv(0x03, Buffer.from([0]), signature));
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
