// Addresses servers listen on: whether one is reachable from this machine
// only (the controller refuses a non-loopback listener without an admin
// token, controller/listen-guard.ts; metrics warn when they are reachable
// from elsewhere without a token), and how one is written with its port.
import net from 'node:net';

/** True for 127.0.0.0/8, ::1 (and ::ffff:127.x.y.z) and localhost. Anything else — 0.0.0.0, ::, a hostname — is not. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.split('.')[0] === '127';
  if (net.isIPv6(h)) {
    const loopback = new net.BlockList();
    loopback.addAddress('::1', 'ipv6');
    loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
    return loopback.check(h, 'ipv6');
  }
  return false;
}

/** host:port as it goes in a URL or a gRPC address (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}
