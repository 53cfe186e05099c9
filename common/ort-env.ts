// onnxruntime-node's telemetry, off unless asked for. Loaded, onnxruntime 1.30
// writes mat-debug-<pid>.log into the temp folder of every process that opens
// a session, and a telemetry database with a device id under
// ~/.cache/Microsoft/DeveloperTools/.onnxruntime. ORT_DISABLE_TELEMETRY=1 in
// the environment before the library loads stops both, so this module is
// imported by worker/ort-session.ts ahead of onnxruntime-node itself, and by
// the main-thread modules that start onnxruntime's threads (worker/worker.ts,
// profiles/profiler.ts): a worker thread's process.env is its own copy, which
// native code does not read, so the variable must be set in the process before
// them; worker threads and child processes inherit it. A user opts in with
// PUNCTUAL_ORT_TELEMETRY=1, or decides with ORT_DISABLE_TELEMETRY themselves.

/** Sets ORT_DISABLE_TELEMETRY=1 in `env` unless the user chose; returns what it holds now. */
export function disableOrtTelemetry(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.PUNCTUAL_ORT_TELEMETRY !== '1' && env.ORT_DISABLE_TELEMETRY === undefined) env.ORT_DISABLE_TELEMETRY = '1';
  return env.ORT_DISABLE_TELEMETRY;
}

disableOrtTelemetry();
