// punctual.v1.WorkerControl: one long-lived bidi stream per worker. Hello,
// then the model bytes the worker lacks, then its executors join the
// scheduler; pings measure its clock offset; results flow back to the core.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { ControllerMessage, WorkerControlHandlers, WorkerMessage__Output } from '../../common/wire.js';
import type { ServingCore } from '../serving-core.js';
import { WorkerConnection } from '../worker-connection.js';

export interface WorkerServiceOptions {
  /** How often each worker's clock offset is measured, ms. */
  pingIntervalMs: number;
}

export function workerService(core: ServingCore, clock: Clock, log: Logger, opts: WorkerServiceOptions): WorkerControlHandlers {
  let nextWorker = 1;
  return {
    Connect: (stream: grpc.ServerDuplexStream<WorkerMessage__Output, ControllerMessage>) => {
      let conn: WorkerConnection | undefined;
      let pinger: NodeJS.Timeout | undefined;
      const leave = () => {
        if (pinger) clearInterval(pinger);
        if (conn) core.removeWorker(conn);
        conn?.close();
      };
      stream.on('data', (msg: WorkerMessage__Output) => {
        if (msg.hello) {
          if (conn) return;
          const hello = msg.hello;
          const c = new WorkerConnection(`w${nextWorker++}`, hello.name, stream, hello.executors, hello.cachedModels, clock);
          conn = c;
          c.send({ welcome: { workerId: c.id, controllerMs: clock.now() } });
          for (let i = 0; i < 5; i++) c.ping();
          pinger = setInterval(() => c.ping(), opts.pingIntervalMs);
          pinger.unref();
          // Every model's bytes reach the worker once, before its executors take work.
          (async () => {
            for (const m of core.registry.all()) await c.ensureBytes(m.key, m.bytes, m.sha256);
            if (!c.closed && !c.draining) core.addWorker(c);
          })().catch((err: unknown) => {
            log.warn({ event: 'worker_setup_failed', worker: c.name, err: String(err) }, 'worker setup failed');
            stream.end();
          });
        } else if (!conn) {
          log.warn({ event: 'protocol_error' }, 'worker sent a message before hello');
        } else if (msg.result) {
          core.onResult(conn, msg.result);
        } else if (msg.pong) {
          conn.onPong(msg.pong.controllerMs, msg.pong.workerMs);
        } else if (msg.bytesAck) {
          conn.onBytesAck(msg.bytesAck.modelKey, msg.bytesAck.ok, msg.bytesAck.message);
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
