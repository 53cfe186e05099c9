// Which `punctual` runs start from the bundle (dist/cli/bundle/, built by
// cli/build-bundle.ts after tsc): the client commands, whose time is mostly
// the process starting (issue 11: `punctual status --json` at 4,000 models
// in under 200 ms). A bundle is one file per part instead of some three
// hundred modules of grpc-js, protobufjs, commander and the client, each
// found, read and compiled on its own. Everything else (the servers, the
// simulator, help that lists every command) runs from the modules tsc wrote.
// This file imports nothing: it decides before anything is loaded.

/** The commands the bundle carries: clients of a controller. */
export const BUNDLED_COMMANDS: ReadonlySet<string> = new Set(['status', 'infer', 'models', 'profile', 'ring']);

/** The program's global options that take a value (cli/program.ts rootProgram), and the one that does not. */
export const GLOBAL_VALUE_OPTIONS: readonly string[] = ['--controller', '--token', '--tls-ca'];
export const GLOBAL_FLAGS: readonly string[] = ['--json'];

/**
 * Whether `argv` (after the node and script paths) runs a bundled command:
 * its first word that is not a global option (or an option's value) names
 * one. Anything else before it (help, an unknown option, `--`) is not.
 */
export function bundledCommand(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') return BUNDLED_COMMANDS.has(arg);
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (GLOBAL_VALUE_OPTIONS.includes(flag)) {
      if (eq < 0) i++;
      continue;
    }
    if (GLOBAL_FLAGS.includes(flag)) continue;
    return false;
  }
  return false;
}
