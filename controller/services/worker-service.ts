// punctual.v1.WorkerControl: one long-lived bidi stream per worker. Hello,
// then the model bytes the worker lacks, then its executors join the
// scheduler; pings measure its clock offset and keep its liveness deadline
// (a worker heard from by nothing for longer is set aside until it answers
// again); results flow back to the core.
import type { Clock } from '../../common/clock.js';
import { PACK_MAX_ITEMS } from '../../common/coalesced-writes.js';
import type { Logger } from '../../common/log.js';
import type { WorkerControlHandlers, WorkerMessage__Output } from '../../common/wire.js';
import type { ServingCore } from '../serving-core.js';
import { Liveness } from '../liveness.js';
import { WorkerConnection, type WorkerStream } from '../worker-connection.js';
import { adoptedSessions } from '../worker-membership.js';
import type { ServiceImpl, ServiceRoles } from './server-call.js';

export interface WorkerServiceOptions {
  /** How often each worker is pinged (clock offset, liveness), ms. */
  pingIntervalMs: number;
  /** A worker that sends nothing for this long is set aside until it answers again, ms. */
  livenessMs: number;
}

/** The worker stream takes the worker token, the admin token, or `up`'s own workers' token. */
export const WORKER_ROLES: ServiceRoles<WorkerControlHandlers> = { Connect: 'worker' };

/** The worker stream's handler: grpc-js calls it for a worker that dials, the controller for one in its own process. */
export interface WorkerServiceImpl extends ServiceImpl<WorkerControlHandlers> {
  Connect: (stream: WorkerStream) => void;
}

export function workerService(core: ServingCore, clock: Clock, log: Logger, opts: WorkerServiceOptions): WorkerServiceImpl {
  let nextWorker = 1;
  return {
    Connect: (stream: WorkerStream) => {
      let conn: WorkerConnection | undefined;
      let pinger: NodeJS.Timeout | undefined;
      let liveness: Liveness | undefined;
      const leave = () => {
        if (pinger) clearInterval(pinger);
        if (conn) core.removeWorker(conn);
        conn?.close();
      };
      stream.on('data', (msg: WorkerMessage__Output) => {
        if (msg.hello) {
          if (conn) return;
          const hello = msg.hello;
          const c = new WorkerConnection(`w${nextWorker++}`, hello.name, stream, hello.executors, hello.cachedModels, clock, validDataAddress(hello.dataAddress), hello.takesBatches, hello.dataTls);
          conn = c;
          // The sessions it kept from a controller before this one (this one restarted): adopted, not loaded again.
          c.adopted = adoptedSessions(hello.executors, core.registry);
          const adopted = c.adopted.map(({ executor, modelKey }) => ({ executor, modelKey }));
          c.send({ welcome: { workerId: c.id, controllerMs: clock.now(), takesBatches: true, adoptsSessions: true, adopted } });
          for (let i = 0; i < 5; i++) c.ping();
          liveness = new Liveness(clock.now(), { deadlineMs: opts.livenessMs, checkEveryMs: opts.pingIntervalMs });
          const alive = liveness;
          pinger = setInterval(() => {
            const verdict = alive.check(clock.now());
            if (verdict.type === 'silent') core.suspendWorker(c, verdict.silentMs);
            c.ping();
          }, opts.pingIntervalMs);
          pinger.unref();
          // Every model's bytes reach the worker once, before its executors take work.
          (async () => {
            for (const m of core.registry.all()) {
              // A model that cannot be sent (its file gone) is logged and left out; the worker still joins.
              await c.ensureBytes(m.key, m).catch((err: unknown) => {
                if (c.closed) throw err;
                log.error({ event: 'model_bytes_not_sent', worker: c.name, model: m.key, err: String(err) }, `could not send ${m.key} to worker ${c.name}: ${String(err)}`);
              });
            }
            if (!c.closed && !c.draining) core.addWorker(c);
          })().catch((err: unknown) => {
            log.warn({ event: 'worker_setup_failed', worker: c.name, err: String(err) }, 'worker setup failed');
            stream.end();
          });
        } else if (!conn) {
          log.warn({ event: 'protocol_error' }, 'worker sent a message before hello');
          return;
        }
        if (liveness?.heard(clock.now())) core.resumeWorker(conn);
        if (msg.result) {
          core.onResult(conn, msg.result);
        } else if (msg.results) {
          // Results that waited behind one write on the worker's side, each as if it had come alone.
          // A worker packs at most PACK_MAX_ITEMS: more is a broken or hostile one, whose extra
          // results are not read (their actions are given up as lost, and re-planned).
          const results = msg.results.results;
          if (results.length > PACK_MAX_ITEMS) {
            log.warn({ event: 'protocol_error', worker: conn.name, results: results.length }, `worker ${conn.name} sent ${results.length} results in one batch, at most ${PACK_MAX_ITEMS} are read`);
          }
          core.onResults(conn, results.length > PACK_MAX_ITEMS ? results.slice(0, PACK_MAX_ITEMS) : results);
        } else if (msg.pong) {
          conn.onPong(msg.pong.controllerMs, msg.pong.workerMs);
          core.workerAnswered(conn, msg.pong.controllerMs);
        } else if (msg.bytesAck) {
          conn.onBytesAck(msg.bytesAck.modelKey, msg.bytesAck.ok, msg.bytesAck.message, msg.bytesAck.contentUnknown);
        } else if (msg.draining) {
          core.drainWorker(conn);
        }
      });
      stream.on('end', () => {
        leave();
        stream.end();
      });
      stream.on('error', leave);
      stream.on('close', leave);
    },
  };
}

/** A Hello's data address when it is host:port (at most 300 characters), else none: a client is never sent elsewhere. */
export function validDataAddress(a: string): string {
  return a.length <= 300 && /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(a) ? a : '';
}
