// punctual.v1.Admin: the operator's view of the cluster and its models, and
// the calls that change them (register, unregister, re-profile).
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import { PunctualError, toServiceError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type {
  AdminHandlers,
  ClusterStatusRequest__Output,
  ClusterStatusResponse,
  DescribeModelRequest__Output,
  DescribeModelResponse,
  ListModelsRequest__Output,
  ListModelsResponse,
  ProfileModelEvent,
  ProfileModelRequest__Output,
  RegisterModelResponse,
  UnregisterModelRequest__Output,
  UnregisterModelResponse,
} from '../../common/wire.js';
import { describeModel, profileInfo } from '../admin-describe.js';
import { buildClusterStatus, buildModelInfo } from '../admin-status.js';
import type { Estimates } from '../scheduler/estimates.js';
import type { ModelAdmin } from '../model-admin.js';
import { saveProfile } from '../model-repository.js';
import { reprofile } from '../model-profiling.js';
import type { ServingCore } from '../serving-core.js';
import type { UploadCall, UploadReceiver } from './register-upload.js';

export interface AdminServiceOptions {
  modelAdmin: ModelAdmin;
  /** Receives RegisterModel's uploads into temporary files, bounded in size, number and idle time. */
  uploads: UploadReceiver;
  /** Default timed runs per batch size for ProfileModel. */
  profileIterations: number;
  log: Logger;
}

/** Answers a unary call from a promise; unexpected errors are logged and sent as INTERNAL. */
function answer<T>(log: Logger, method: string, work: () => Promise<T> | T, callback: grpc.sendUnaryData<T>): void {
  Promise.resolve()
    .then(work)
    .then(
      (v) => callback(null, v),
      (err: unknown) => {
        if (!(err instanceof PunctualError)) log.error({ err, method }, `unexpected error in ${method}`);
        callback(toServiceError(err) as grpc.ServiceError);
      },
    );
}

export function adminService(core: ServingCore, estimates: Estimates, clock: Clock, startedAt: number, o: AdminServiceOptions): AdminHandlers {
  const { log } = o;
  return {
    ClusterStatus: (
      _call: grpc.ServerUnaryCall<ClusterStatusRequest__Output, ClusterStatusResponse>,
      callback: grpc.sendUnaryData<ClusterStatusResponse>,
    ) => {
      callback(null, buildClusterStatus(core, estimates, clock.now(), startedAt));
    },
    ListModels: (_call: grpc.ServerUnaryCall<ListModelsRequest__Output, ListModelsResponse>, callback: grpc.sendUnaryData<ListModelsResponse>) => {
      callback(null, { models: core.registry.all().map((m) => buildModelInfo(m, core, estimates)) });
    },
    RegisterModel: (call: UploadCall, callback: grpc.sendUnaryData<RegisterModelResponse>) => {
      answer(
        log,
        'RegisterModel',
        async () => {
          const upload = await o.uploads.receive(call, (meta) => o.modelAdmin.checkMeta(meta));
          try {
            const out = await o.modelAdmin.register(upload.meta, upload);
            return { models: out.models.map((m) => buildModelInfo(m, core, estimates)), replaced: out.replaced, readyMs: out.readyMs };
          } finally {
            await upload.release();
          }
        },
        callback,
      );
    },
    UnregisterModel: (
      call: grpc.ServerUnaryCall<UnregisterModelRequest__Output, UnregisterModelResponse>,
      callback: grpc.sendUnaryData<UnregisterModelResponse>,
    ) => {
      answer(log, 'UnregisterModel', async () => ({ removed: await o.modelAdmin.unregister(call.request.name, call.request.version) }), callback);
    },
    DescribeModel: (
      call: grpc.ServerUnaryCall<DescribeModelRequest__Output, DescribeModelResponse>,
      callback: grpc.sendUnaryData<DescribeModelResponse>,
    ) => {
      answer(log, 'DescribeModel', () => describeModel(call.request.name, core, estimates), callback);
    },
    // Server-streaming: progress events while it measures, then the result.
    ProfileModel: (call: grpc.ServerWritableStream<ProfileModelRequest__Output, ProfileModelEvent>) => {
      const r = call.request;
      const send = (e: ProfileModelEvent): void => {
        if (!call.cancelled) call.write(e);
      };
      Promise.resolve()
        .then(async () => {
          const m = core.registry.resolve(r.name, r.version);
          const profile = await reprofile(m, {
            batchSizes: r.batchSizes,
            iterations: r.iterations || o.profileIterations,
            maxThreads: r.maxThreads,
            onProgress: (progress) => send({ progress }),
          });
          await o.modelAdmin.storeProfile(m, profile, saveProfile);
          log.info({ event: 'reprofiled', model: m.key, bestThreads: profile.bestThreads }, `profiled ${m.key}`);
          send({ result: { model: m.config.name, version: m.config.version, profile: profileInfo(profile) } });
          call.end();
        })
        .catch((err: unknown) => {
          if (!(err instanceof PunctualError)) log.error({ err, method: 'ProfileModel' }, 'unexpected error in ProfileModel');
          call.emit('error', toServiceError(err));
        });
    },
  };
}
