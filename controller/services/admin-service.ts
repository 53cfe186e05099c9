// punctual.v1.Admin: the operator's view of the cluster and its models, and
// the calls that change them (register, unregister, re-profile), and a
// model's export (services/model-export.ts). Served
// through services/server-call.ts, which maps what these throw to statuses.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import type { ExportModelRequest__Output } from '../../protos/generated/punctual/v1/ExportModelRequest.js';
import type { Logger } from '../../common/log.js';
import type {
  AdminHandlers,
  ClusterStatusRequest__Output,
  ClusterStatusResponse,
  DescribeModelRequest__Output,
  DescribeModelResponse,
  GetRingResponse,
  ListModelsRequest__Output,
  ListModelsResponse,
  ProfileModelEvent,
  ProfileModelRequest__Output,
  RegisterModelResponse,
  UnregisterModelRequest__Output,
  UnregisterModelResponse,
} from '../../common/wire.js';
import { describeModel, profileInfo } from '../admin-describe.js';
import { buildClusterStatus, buildModelInfo, listModels } from '../admin-status.js';
import type { Estimates } from '../scheduler/estimates.js';
import type { ModelAdmin } from '../model-admin.js';
import { saveProfile } from '../model-repository.js';
import { reprofile } from '../model-profiling.js';
import type { ServingCore } from '../serving-core.js';
import { exportModel, type ExportCall } from './model-export.js';
import type { UploadCall, UploadReceiver } from './register-upload.js';
import type { ServiceImpl, ServiceRoles } from './server-call.js';

export interface AdminServiceOptions {
  modelAdmin: ModelAdmin;
  /** Receives RegisterModel's uploads into temporary files, bounded in size, number and idle time. */
  uploads: UploadReceiver;
  /** Default timed runs per batch size for ProfileModel. */
  profileIterations: number;
  log: Logger;
}

/** Admin calls take the admin token; ListModels (clients read input shapes) and GetRing (clients route by it) the infer token too. */
export const ADMIN_ROLES: ServiceRoles<AdminHandlers> = {
  ClusterStatus: 'admin',
  ListModels: 'read',
  RegisterModel: 'admin',
  UnregisterModel: 'admin',
  DescribeModel: 'admin',
  ProfileModel: 'admin',
  GetRing: 'read',
  // The model's bytes and config, as a registration takes them.
  ExportModel: 'admin',
};

export function adminService(core: ServingCore, estimates: Estimates, clock: Clock, startedAt: number, o: AdminServiceOptions): ServiceImpl<AdminHandlers> {
  const { log } = o;
  return {
    // Every model unless the request asks for a page (clients from before paging send no page size).
    ClusterStatus: (req: ClusterStatusRequest__Output): ClusterStatusResponse => buildClusterStatus(core, estimates, clock.now(), startedAt, req),
    ListModels: (req: ListModelsRequest__Output): ListModelsResponse => listModels(core, estimates, req),
    RegisterModel: async (call: UploadCall): Promise<RegisterModelResponse> => {
      const upload = await o.uploads.receive(call, (meta) => o.modelAdmin.checkMeta(meta));
      try {
        const out = await o.modelAdmin.register(upload.meta, upload);
        // Copies share one profile: only the first carries the estimates table.
        return { models: out.models.map((m, i) => buildModelInfo(m, core, estimates, { brief: i > 0 })), replaced: out.replaced, readyMs: out.readyMs };
      } finally {
        await upload.release();
      }
    },
    UnregisterModel: async (req: UnregisterModelRequest__Output): Promise<UnregisterModelResponse> => ({ removed: await o.modelAdmin.unregister(req.name, req.version) }),
    DescribeModel: (req: DescribeModelRequest__Output): DescribeModelResponse => describeModel(req.name, core, estimates),
    GetRing: (): GetRingResponse => {
      const shard = core.registry.shard;
      return shard ? { members: [...shard.ring.members], version: shard.ring.version, self: shard.self.name } : { members: [], version: '', self: '' };
    },
    // Server-streaming: the metadata, then the file in chunks (the adapter ends the call).
    ExportModel: (r: ExportModelRequest__Output, call: ExportCall): Promise<void> => exportModel(core.registry.resolve(r.name, r.version), call),
    // Server-streaming: progress events while it measures, then the result (the adapter ends the call).
    ProfileModel: async (r: ProfileModelRequest__Output, call: grpc.ServerWritableStream<ProfileModelRequest__Output, ProfileModelEvent>): Promise<void> => {
      const send = (e: ProfileModelEvent): void => {
        if (!call.cancelled) call.write(e);
      };
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
    },
  };
}
