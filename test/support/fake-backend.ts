// A fake controller for client and CLI tests: a real in-process grpc-js
// server on port 0 serving punctual.v1.Inference and Admin, recording what
// it receives and answering as each test tells it (echo by default).
import * as grpc from '@grpc/grpc-js';
import { toServiceError, unavailable } from '../../common/errors.js';
import { protos, SERVER_OPTIONS } from '../../common/protos.js';
import type {
  AdminHandlers,
  ClusterStatusResponse,
  InferenceHandlers,
  InferRequest__Output,
  InferResponse,
  ModelInfo,
} from '../../common/wire.js';

export interface Recorded<T> {
  request: T;
  metadata: grpc.Metadata;
  /** The call's deadline as the server sees it (Infinity when none). */
  deadline: grpc.Deadline;
}

export type InferBehaviour = (req: InferRequest__Output, call: grpc.ServerUnaryCall<InferRequest__Output, InferResponse>) => InferResponse | Promise<InferResponse>;

export interface FakeBackend {
  address: string;
  infers: Recorded<InferRequest__Output>[];
  listModelsCalls: Recorded<object>[];
  clusterStatusCalls: Recorded<object>[];
  /** Inference.Admit calls (the data plane) received. */
  admits: number;
  /** What ListModels answers; tests may replace it. */
  models: ModelInfo[];
  /** What ClusterStatus answers (its `models` default to `models`). */
  status: ClusterStatusResponse;
  /** How Infer answers; throw a PunctualError to fail with its status and reason. */
  onInfer: InferBehaviour;
  close(): Promise<void>;
}

/** Echoes every input back as output `<name>_out`, in a batch of 1 on worker "fake". */
export const echo: InferBehaviour = (req) => ({
  model: req.model,
  version: req.version === 0 ? 1 : req.version,
  outputs: req.inputs.map((t) => ({ name: `${t.name}_out`, dtype: t.dtype, shape: t.shape, data: t.data })),
  timings: { queueMs: 1.5, execMs: 2.5, totalMs: 4.5 },
  batchSize: 1,
  worker: 'fake',
  executor: 0,
});

export const DEFAULT_MODELS: ModelInfo[] = [
  {
    name: 'img',
    version: 1,
    inputs: [{ name: 'x', dtype: 'float32', shape: [3, 4, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
    maxBatch: 8,
    batchSizes: [1, 2, 4, 8],
    defaultSloMs: 100,
    estimates: [{ batchSize: 1, executorClass: 'cpu/t1', execMs: 8.1, typicalMs: 7.9 }],
    loadedOn: ['w1/0'],
  },
  {
    name: 'img',
    version: 2,
    inputs: [{ name: 'x', dtype: 'float32', shape: [3, 8, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
    maxBatch: 8,
    batchSizes: [1, 2, 4, 8],
    defaultSloMs: 100,
  },
  {
    name: 'tok',
    version: 1,
    inputs: [
      { name: 'ids', dtype: 'int64', shape: [5] },
      { name: 'mask', dtype: 'bool', shape: [5] },
    ],
    outputs: [{ name: 'logits', dtype: 'float32', shape: [5] }],
    maxBatch: 1,
    batchSizes: [1],
    defaultSloMs: 50,
  },
];

export async function startFakeBackend(): Promise<FakeBackend> {
  const p = protos();
  const server = new grpc.Server(SERVER_OPTIONS);
  const backend: FakeBackend = {
    address: '',
    infers: [],
    listModelsCalls: [],
    clusterStatusCalls: [],
    admits: 0,
    models: structuredClone(DEFAULT_MODELS),
    status: { workers: [], uptimeS: 1, policy: 'punctual' },
    onInfer: echo,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
  const record = <T>(call: grpc.ServerUnaryCall<T, unknown>): Recorded<T> => ({
    request: call.request,
    metadata: call.metadata,
    deadline: call.getDeadline(),
  });
  const inference: InferenceHandlers = {
    Infer: (call, callback) => {
      backend.infers.push(record(call));
      Promise.resolve()
        .then(() => backend.onInfer(call.request, call))
        .then(
          (res) => callback(null, res),
          (err: unknown) => callback(toServiceError(err)),
        );
    },
    // The data plane is not faked: a client that asks for it hears no_data_plane and uses Infer.
    Admit: (call) => {
      backend.admits++;
      call.emit('error', toServiceError(unavailable('the data plane is not available: the fake backend has none', 'no_data_plane')));
    },
  };
  const admin: AdminHandlers = {
    ListModels: (call, callback) => {
      backend.listModelsCalls.push(record(call));
      callback(null, { models: backend.models });
    },
    ClusterStatus: (call, callback) => {
      backend.clusterStatusCalls.push(record(call));
      callback(null, { models: backend.models, ...backend.status });
    },
    // Model changes are exercised against a real controller (test/operate.e2e.test.ts).
    RegisterModel: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in the fake backend' }),
    UnregisterModel: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in the fake backend' }),
    DescribeModel: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in the fake backend' }),
    ProfileModel: (call) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'not in the fake backend' }),
    ExportModel: (call) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'not in the fake backend' }),
    // One controller, alone: it owns every model.
    GetRing: (_call, callback) => callback(null, { members: [], version: '', self: '' }),
  };
  server.addService(p.inference.punctual.v1.Inference.service, inference);
  server.addService(p.admin.punctual.v1.Admin.service, admin);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, boundPort) => (err ? reject(err) : resolve(boundPort)));
  });
  backend.address = `127.0.0.1:${port}`;
  return backend;
}
