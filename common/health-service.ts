// grpc.health.v1.Health for both processes: a table of service name →
// SERVING / NOT_SERVING that the process flips as its readiness changes
// (controller: a worker connected and a model servable, not draining;
// worker: welcomed by its controller, not draining). Check answers at once;
// Watch streams every change. The empty name is the whole server.
import type * as grpc from '@grpc/grpc-js';
import type { HealthHandlers } from '../protos/generated/grpc/health/v1/Health.js';
import type { HealthCheckRequest__Output } from '../protos/generated/grpc/health/v1/HealthCheckRequest.js';
import type { HealthCheckResponse } from '../protos/generated/grpc/health/v1/HealthCheckResponse.js';
import { notFound, toServiceError } from './errors.js';

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

interface Watcher {
  notify(status: ServingStatus): void;
  end(): void;
}

export class HealthStatus {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<Watcher>>();

  /** Registers the services this process answers for, all NOT_SERVING at first. */
  constructor(services: readonly string[]) {
    for (const s of ['', ...services]) this.statuses.set(s, 'NOT_SERVING');
  }

  /** Sets every service at once (they share one readiness here). */
  setAll(status: ServingStatus): void {
    for (const name of this.statuses.keys()) this.set(name, status);
  }

  set(service: string, status: ServingStatus): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const w of this.watchers.get(service) ?? []) w.notify(status);
  }

  get(service = ''): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  handlers(): HealthHandlers {
    return {
      Check: (call: grpc.ServerUnaryCall<HealthCheckRequest__Output, HealthCheckResponse>, callback: grpc.sendUnaryData<HealthCheckResponse>) => {
        const status = this.statuses.get(call.request.service);
        if (status === undefined) callback(toServiceError(notFound(`unknown service ${JSON.stringify(call.request.service)}`)));
        else callback(null, { status });
      },
      Watch: (call: grpc.ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>) => {
        const service = call.request.service;
        call.write({ status: this.statuses.get(service) ?? 'SERVICE_UNKNOWN' });
        const watcher: Watcher = { notify: (status) => call.write({ status }), end: () => call.end() };
        let set = this.watchers.get(service);
        if (!set) this.watchers.set(service, (set = new Set()));
        set.add(watcher);
        const stop = (): void => {
          this.watchers.get(service)?.delete(watcher);
        };
        call.on('cancelled', stop);
        call.on('close', stop);
      },
    };
  }

  /** Ends every Watch stream (at shutdown, so the server can close). */
  endWatches(): void {
    for (const set of this.watchers.values()) for (const w of set) w.end();
    this.watchers.clear();
  }
}
