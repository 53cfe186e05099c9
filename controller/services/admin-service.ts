// punctual.v1.Admin: the operator's view of the cluster and its models.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import type {
  AdminHandlers,
  ClusterStatusRequest__Output,
  ClusterStatusResponse,
  ListModelsRequest__Output,
  ListModelsResponse,
} from '../../common/wire.js';
import { buildClusterStatus, buildModelInfo } from '../admin-status.js';
import type { Estimates } from '../estimates.js';
import type { ServingCore } from '../serving-core.js';

export function adminService(core: ServingCore, estimates: Estimates, clock: Clock, startedAt: number): AdminHandlers {
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
  };
}
