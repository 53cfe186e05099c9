// Runs the punctual CLI in this process (runCli) with captured stdout and
// stderr, as the CLI tests drive it.
import type { CliIo } from '../../cli/context.js';
import { runCli } from '../../cli/program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliCaptured(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}
