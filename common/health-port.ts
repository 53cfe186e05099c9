// A plaintext port serving only grpc.health.v1.Health, for probes that
// cannot speak TLS or carry a token (Kubernetes' gRPC probes): the worker's
// --health-port, and the controller's, beside a TLS listener whose own
// Health service a kubelet cannot reach. It answers what the process's
// HealthStatus says and nothing else.
import * as grpc from '@grpc/grpc-js';
import { ecosystemProtos } from './ecosystem-protos.js';
import type { HealthStatus } from './health-service.js';
import { hostPort } from './listen-address.js';

export interface HealthPort {
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0 picks a free one) with only the Health service, answering from `status`. */
export async function listenHealth(status: HealthStatus, host: string, port: number): Promise<HealthPort> {
  const server = new grpc.Server();
  server.addService(ecosystemProtos().health.grpc.health.v1.Health.service, status.handlers());
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(hostPort(host, port), grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
