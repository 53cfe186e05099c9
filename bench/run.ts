// `npm run bench`: runs the benchmarks and prints the figures with the machine.
// Options: --only live,throughput,operate,simulate,replay,overload,freeze,rejoin,uploads,load-time,load-lanes,session-memory,allocator-churn,many-models,live-many,multi-model,clockwork,replay-generator,rest,transports,rejection-rtt,local-path,data-plane,remote-client,model-threads,controller-throughput,controller-failover,sharded-sim (all but the first four take minutes; not in the default)
//          --requests N --replay-seconds S --replay-loads 0.5,0.9,1.5,3 --replay-policies punctual,fifo
//          --overload 3x20,10x60 (load × seconds cases of the V2 overload benchmark)
//          --mem-arena (many-models: the worker with onnxruntime's memory arena and patterns on)
import { Command } from 'commander';
import { describeFigures, runLive } from './live.js';
import { runGrpcFloor } from './grpc-floor.js';
import { runOperate } from './operate.js';
import { runReplayBench } from './replay.js';
import { runReplayGeneratorBench } from './replay-generator.js';
import { runReplayProtocolsBench } from './replay-protocols.js';
import { runRestOverheadBench } from './rest-overhead.js';
import { runOverloadBench, type OverloadCase } from './overload.js';
import { runFreezeBench } from './freeze.js';
import { runRejoinBench } from './rejoin.js';
import { runControllerFailoverBench } from './controller-failover.js';
import { runShardedSimBench, SHARDED_SIM_DEFAULTS } from './sharded-sim.js';
import { runUploadsBench } from './uploads.js';
import { runManyModelsBench } from './many-models.js';
import { runLiveManyBench } from './live-many.js';
import { runLoadTimeBench } from './load-time.js';
import { runLoadLanesBench } from './load-lanes.js';
import { runSessionMemoryBench } from './session-memory.js';
import { runAllocatorChurnBench } from './allocator-churn.js';
import { runMultiModelBench } from './multi-model.js';
import { runClockworkBench } from './clockwork.js';
import { isPolicy, POLICIES } from '../controller/scheduler/policy.js';
import { runSimulateBench } from './simulate.js';
import { runThroughput } from './throughput.js';
import { runTransportsBench } from './transports.js';
import { runLocalPathBench } from './local-path.js';
import { runDataPlaneBench } from './data-plane.js';
import { runRejectionRttBench } from './rejection-rtt.js';
import { runModelThreadsBench } from './model-threads.js';
import { runRemoteClientBench } from './remote-client.js';
import { CONTROLLER_THROUGHPUT_DEFAULTS, runControllerThroughputBench } from './controller-throughput.js';
import { machine, type Figure } from './support.js';

const program = new Command('bench')
  .option('--only <list>', 'comma-separated: live, throughput, operate, simulate, replay, overload, freeze, rejoin, uploads, load-time, load-lanes, session-memory, allocator-churn, many-models, live-many, multi-model, clockwork, replay-generator, rest, transports, rejection-rtt, local-path, data-plane, remote-client, model-threads, controller-throughput, controller-failover, sharded-sim', 'live,throughput,operate,simulate')
  .option('--requests <n>', 'requests for the live benchmark', '1000')
  .option('--sim-requests <n>', 'requests per simulator speed case', '1000000')
  .option('--replay-seconds <s>', 'seconds per live replay run', '15')
  .option('--replay-loads <list>', 'loads of the live replay, as fractions of measured capacity', '0.5,0.9,1.5,3')
  .option('--replay-policies <list>', 'policies of the live replay', POLICIES.join(','))
  .option('--overload <cases>', 'overload cases, LOADxSECONDS comma-separated', '3x20,10x60')
  .option('--mem-arena', "many-models: the worker with onnxruntime's CPU memory arena and memory patterns on")
  .option('--ct-workers <list>', 'controller-throughput: emulated worker counts', CONTROLLER_THROUGHPUT_DEFAULTS.workerCounts.join(','))
  .option('--ct-tiny <list>', 'controller-throughput: offered rates of the tiny model, req/s (empty: none)', CONTROLLER_THROUGHPUT_DEFAULTS.tinyRates.join(','))
  .option('--ct-cls <list>', 'controller-throughput: offered rates of cls, req/s (empty: none)', CONTROLLER_THROUGHPUT_DEFAULTS.clsRates.join(','))
  .option('--ct-no-floor', 'controller-throughput: skip the no-op server (the floor)')
  .option('--ct-no-profile', 'controller-throughput: skip the CPU-profiled run')
  .option('--sharded-controllers <list>', 'sharded-sim: ring sizes', SHARDED_SIM_DEFAULTS.controllers.join(','))
  .option('--sharded-seconds <s>', 'sharded-sim: virtual seconds of the trace', String(SHARDED_SIM_DEFAULTS.seconds))
  .option('--json', 'print JSON');
program.parse();
const opts = program.opts<{
  only: string;
  requests: string;
  simRequests: string;
  replaySeconds: string;
  replayLoads: string;
  replayPolicies: string;
  overload: string;
  memArena?: boolean;
  ctWorkers: string;
  ctTiny: string;
  ctCls: string;
  ctFloor: boolean;
  ctProfile: boolean;
  shardedControllers: string;
  shardedSeconds: string;
  json?: boolean;
}>();
const numbers = (list: string): number[] => list.split(',').filter((x) => x.trim() !== '').map(Number);
const only = new Set(opts.only.split(','));
const figures: Figure[] = [];
if (only.has('throughput')) {
  runThroughput(20_000, 100, 10); // warm up the JIT
  figures.push(...runThroughput(500_000, 100, 10));
  figures.push(...runThroughput(500_000, 8, 1000));
}
if (only.has('live')) {
  figures.push(...(await runLive(Number(opts.requests))));
  figures.push(...(await runGrpcFloor(602_112, 200_704)));
  figures.push(...(await runGrpcFloor(64, 64)));
}
if (only.has('operate')) figures.push(...(await runOperate()));
if (only.has('simulate')) figures.push(...runSimulateBench(Number(opts.simRequests)));
if (only.has('replay')) {
  const loads = opts.replayLoads.split(',').map(Number);
  const policies = opts.replayPolicies.split(',');
  if (loads.some((l) => !(l > 0))) throw new Error(`--replay-loads: positive fractions expected, got ${opts.replayLoads}`);
  if (!policies.every(isPolicy)) throw new Error(`--replay-policies: expected some of ${POLICIES.join(', ')}, got ${opts.replayPolicies}`);
  figures.push(...(await runReplayBench(Number(opts.replaySeconds), loads, policies)));
}
if (only.has('overload')) {
  const cases: OverloadCase[] = opts.overload.split(',').map((c) => {
    const m = /^([\d.]+)x(\d+)$/.exec(c.trim());
    if (!m) throw new Error(`--overload: expected LOADxSECONDS, got ${c}`);
    return { load: Number(m[1]), seconds: Number(m[2]) };
  });
  figures.push(...(await runOverloadBench(cases)));
}
if (only.has('freeze')) figures.push(...(await runFreezeBench({ rate: 200, freezeSeconds: 15, before: 10, after: 10 })));
if (only.has('rejoin')) figures.push(...(await runRejoinBench([5, 30], 3)));
if (only.has('controller-failover')) figures.push(...(await runControllerFailoverBench(5)));
if (only.has('sharded-sim')) figures.push(...runShardedSimBench({ ...SHARDED_SIM_DEFAULTS, controllers: numbers(opts.shardedControllers), seconds: Number(opts.shardedSeconds) }));
if (only.has('uploads')) figures.push(...(await runUploadsBench(700)));
if (only.has('many-models')) figures.push(...(await runManyModelsBench({ memArena: opts.memArena === true })));
if (only.has('live-many')) figures.push(...(await runLiveManyBench()));
if (only.has('load-time')) figures.push(...(await runLoadTimeBench()));
if (only.has('load-lanes')) figures.push(...(await runLoadLanesBench()));
if (only.has('session-memory')) figures.push(...(await runSessionMemoryBench()));
if (only.has('allocator-churn')) figures.push(...(await runAllocatorChurnBench()));
if (only.has('multi-model')) figures.push(...(await runMultiModelBench()));
if (only.has('clockwork')) figures.push(...runClockworkBench());
if (only.has('replay-generator')) figures.push(...(await runReplayGeneratorBench()));
if (only.has('replay-protocols')) figures.push(...(await runReplayProtocolsBench()));
if (only.has('rest')) figures.push(...(await runRestOverheadBench()));
if (only.has('transports')) figures.push(...(await runTransportsBench()));
if (only.has('local-path')) figures.push(...(await runLocalPathBench()));
if (only.has('data-plane')) figures.push(...(await runDataPlaneBench()));
if (only.has('model-threads')) figures.push(...(await runModelThreadsBench()));
if (only.has('rejection-rtt')) figures.push(...(await runRejectionRttBench(opts.requests === '1000' ? 2000 : Number(opts.requests))));
if (only.has('remote-client')) figures.push(...(await runRemoteClientBench()));
if (only.has('controller-throughput')) {
  figures.push(
    ...(await runControllerThroughputBench({
      ...CONTROLLER_THROUGHPUT_DEFAULTS,
      workerCounts: numbers(opts.ctWorkers),
      tinyRates: numbers(opts.ctTiny),
      clsRates: numbers(opts.ctCls),
      floor: opts.ctFloor,
      profileWorkers: opts.ctProfile ? CONTROLLER_THROUGHPUT_DEFAULTS.profileWorkers : 0,
    })),
  );
}
if (opts.json) console.log(JSON.stringify({ machine: machine(), figures }, null, 2));
else console.log(`machine: ${machine()}\n${describeFigures(figures)}`);
