// `punctual controller` and `punctual up` take their flags' defaults from
// controller/options.ts: --help shows the table's numbers, and a controller
// started with no flags gets the library's defaults (but for the CLI's own
// metrics port). A controller option out of range is a usage error: its own
// message, exit status 2.
import { describe, expect, it, vi } from 'vitest';
import { CLI_DEFAULTS, CONTROLLER_DEFAULTS as D, compileControllerOptions, type ControllerOptions } from '../../controller/options.js';
import { runCliCaptured } from '../../test/support/run-cli.js';

const started: ControllerOptions[] = [];
vi.mock('../../controller/controller.js', async () => {
  const options = await vi.importActual<typeof import('../../controller/options.js')>('../../controller/options.js');
  return {
    // Records what the CLI asks for and checks it as startController does, then fails, so the command ends here.
    startController: async (opts: ControllerOptions) => {
      started.push(opts);
      options.compileControllerOptions(opts);
      throw new Error('not started (test)');
    },
  };
});

/** --help with its lines joined, so a default wrapped onto the next line still reads "(default: N)". */
async function help(cmd: string): Promise<string> {
  const r = await runCliCaptured([cmd, '--help']);
  expect(r.code).toBe(0);
  return r.stdout.replace(/\s+/g, ' ');
}

describe('the CLI reads its defaults from controller/options.ts', () => {
  it('punctual controller --help shows them', async () => {
    const text = await help('controller');
    for (const [flag, shown] of [
      ['--port <port>', D.port],
      ['--host <host>', `"${D.host}"`],
      ['--schedule-ahead-ms <ms>', D.scheduleAheadMs],
      ['--profile-iterations <n>', D.profileIterations],
      ['--metrics-port <port>', CLI_DEFAULTS.metricsPort],
      ['--drain-timeout <s>', D.drainTimeoutMs / 1000],
      ['--max-reserve-share <fraction>', D.maxReserveShare],
      ['--max-concurrent-uploads <n>', D.maxConcurrentUploads],
      ['--upload-idle-timeout <s>', D.uploadIdleTimeoutMs / 1000],
      ['--max-model-bytes <size>', `${D.maxModelBytes / 2 ** 30}GiB`],
      ['--max-message-bytes <size>', `${D.maxMessageBytes / 2 ** 20}MiB`],
      ['--metrics-host <host>', `"${D.metricsHost}"`],
    ] as const) {
      const line = text.slice(text.indexOf(flag));
      expect(line.slice(0, line.indexOf(' --', 2)), flag).toContain(`default: ${shown})`);
    }
  });

  it('punctual up --help shows them', async () => {
    const text = await help('up');
    expect(text).toMatch(new RegExp(`--port <port> controller port .*?\\(default: ${D.port}\\)`));
    expect(text).toMatch(new RegExp(`--host <host> address the controller listens on \\(default: "${CLI_DEFAULTS.upHost}"\\)`));
    expect(text).toMatch(new RegExp(`--metrics-port <port> .*?\\(default: ${CLI_DEFAULTS.metricsPort}\\)`));
    expect(text).toMatch(new RegExp(`--http-port <port> .*?\\(default: ${CLI_DEFAULTS.httpPort}\\)`));
  });

  it('a controller started with no flags gets the library defaults, and the CLI metrics and HTTP ports', async () => {
    started.length = 0;
    const r = await runCliCaptured(['controller', '--repo', '/nonexistent-repo']);
    expect(r.code).not.toBe(0);
    expect(started).toHaveLength(1);
    const { repoDir, clock, ...rest } = compileControllerOptions(started[0]!);
    expect(repoDir).toBe('/nonexistent-repo');
    expect(clock).toBeDefined();
    expect(rest).toEqual({ ...D, metricsPort: CLI_DEFAULTS.metricsPort, httpPort: CLI_DEFAULTS.httpPort, httpHost: D.host });
  });
});

describe('a controller option out of range', () => {
  const ring = ['--ring', 'c0=127.0.0.1:7001,c1=127.0.0.1:7002'];

  it.each([
    ['no --ring-name', [...ring], 'got none'],
    ['a --ring-name not in --ring', [...ring, '--ring-name', 'c7'], 'got "c7"'],
  ])('%s: the options\' own message, exit status 2 (not "UNKNOWN")', async (_what, flags, got) => {
    started.length = 0;
    const r = await runCliCaptured(['controller', '--repo', '/nonexistent-repo', ...flags]);
    expect(r.code).toBe(2);
    expect(started).toHaveLength(1); // the options checked it, not the CLI
    expect(r.stderr).toMatch(/^error: controller option ringName must be the name of one of the ring's members \(c0, c1\)/);
    expect(r.stderr).toContain(got);
    expect(r.stderr).not.toContain('UNKNOWN');
  });

  it('with --json, the same as a JSON status on stdout', async () => {
    const r = await runCliCaptured(['controller', '--repo', '/nonexistent-repo', ...ring, '--ring-name', 'c7', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ status: 'INVALID_ARGUMENT', message: expect.stringContaining('controller option ringName') as unknown });
  });

  it('a member of --ring passes, and any other failure stays status 1', async () => {
    const r = await runCliCaptured(['controller', '--repo', '/nonexistent-repo', ...ring, '--ring-name', 'c1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: UNKNOWN: not started (test)');
    expect(started.at(-1)).toMatchObject({ ringName: 'c1' });
  });
});
