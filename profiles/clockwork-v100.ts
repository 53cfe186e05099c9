// A profile set describing the model Clockwork's evaluation served (Gujarati
// et al., OSDI 2020): ResNet50 on an NVIDIA V100 — batch 1/2/4/8 in
// 3.3/5.3/7.5/12.4 ms, a load (weights over PCIe) in 8.4 ms, 112 MB of
// weights. Nothing here was measured on this machine; it lets the simulator
// replay Clockwork's experiments on the hardware they were run on. A GPU runs
// one inference at a time almost exactly as predicted (the paper's premise:
// DNN inference is deterministic), so p99 sits 0.5 % over p50 — an assumed
// small spread, not none, so the emulated runs still vary.
import type { ModelProfile } from '../common/profile.js';

/** The executor class of a V100 in these profiles. */
export const V100_CLASS = 'v100';

/** A V100's memory, bytes (32 GB: the paper's GPUs; decimal, like the 112 MB of a model). */
export const V100_MEMORY_BYTES = 32e9;

/** ResNet50's weights, bytes. */
export const RESNET50_V100_MEMORY_BYTES = 112e6;

/** Exec time per batch size on a V100, ms (p50). */
export const RESNET50_V100_EXEC_MS: Readonly<Record<number, number>> = { 1: 3.3, 2: 5.3, 4: 7.5, 8: 12.4 };

/** Load time on a V100, ms. */
export const RESNET50_V100_LOAD_MS = 8.4;

/** Spread of a run: p99 = p50 × (1 + this). */
const P99_SPREAD = 0.005;

export const RESNET50_V100_NAME = 'resnet50-v100';

/** The profile of `resnet50-v100@1` as `profile.json` would hold it. */
export const RESNET50_V100_PROFILE: ModelProfile = {
  model: `${RESNET50_V100_NAME}@1`,
  sha256: 'clockwork-osdi20-resnet50-v100',
  // The paper's publication (OSDI, November 2020): these figures were not measured by Punctual.
  measuredAt: '2020-11-04T00:00:00.000Z',
  host: 'NVIDIA Tesla V100 32 GB, as reported by Clockwork (OSDI 2020); not measured here',
  memoryBytes: RESNET50_V100_MEMORY_BYTES,
  classes: {
    [V100_CLASS]: {
      cls: V100_CLASS,
      threads: 1,
      loadMs: RESNET50_V100_LOAD_MS,
      batches: Object.entries(RESNET50_V100_EXEC_MS).map(([b, ms]) => ({
        batch: Number(b),
        iterations: 0,
        meanMs: ms,
        p50Ms: ms,
        p99Ms: ms * (1 + P99_SPREAD),
        maxMs: ms * (1 + P99_SPREAD),
      })),
    },
  },
};

/** A model of a profile set: what a repository's config.json and profile.json would say of it. */
export interface ProfiledModel {
  name: string;
  profile: ModelProfile;
  batchSizes: number[];
  defaultSloMs: number;
}

/** The set as the simulator takes it (traces/sim-models.ts `sources`): one model, Clockwork's 100 ms SLO. */
export function clockworkV100Set(): ProfiledModel[] {
  return [{ name: RESNET50_V100_NAME, profile: RESNET50_V100_PROFILE, batchSizes: [1, 2, 4, 8], defaultSloMs: 100 }];
}
