// The devices an executor runs on and the executor classes estimates are kept
// per: words shared by the CLI, the worker, the profiler and the controller.
// Imports nothing, so reading a --device flag or a worker's announcement never
// loads onnxruntime (only worker/ort-session.ts does).

export type Device = 'cpu' | 'emulated' | `cuda:${number}`;

/** The device `s` names (`cuda:03` is `cuda:3`), or undefined when it names none. */
export function deviceOf(s: string): Device | undefined {
  if (s === 'cpu' || s === 'emulated') return s;
  const m = /^cuda:(\d+)$/.exec(s);
  return m ? `cuda:${Number(m[1])}` : undefined;
}

/** Why `s` is not a device, in the words the worker and the CLI report it with. */
export function notADevice(s: string): string {
  return `device must be cpu, cuda:N or emulated, not ${JSON.stringify(s)}`;
}

/** The device `s` names; throws (notADevice) when it names none. */
export function parseDevice(s: string): Device {
  const device = deviceOf(s);
  if (device === undefined) throw new Error(notADevice(s));
  return device;
}

/** Executor class: estimates are kept per (model, batch, class). */
export function executorClass(device: Device, threads: number): string {
  if (device.startsWith('cuda')) return 'cuda';
  return `${device}/t${threads}`;
}
