// Node/V8 flags every Punctual server process runs with. Each request moves
// hundreds of kilobytes through Buffers while the JavaScript heap stays small
// (about 13 MB live); with V8's default start-up sizing the old generation's
// limit then sits so close to the live size that the controller ran a full
// mark-compact every ~50 ms under load (measured with --trace-gc: 15 a second
// at 170 req/s of det, a quarter of its main thread, and the concurrent-marking
// threads took CPU from the executors besides). A larger initial old space
// removes that: 75 → 13 full collections in the same 5 s run, and the
// measured det capacity on this 2-core machine went from 58 to 85 req/s.
// `--initial-old-space-size` is not accepted in NODE_OPTIONS, so it travels
// on the command line: the bin's shebang, `npm start`, and every process the
// CLI spawns.
export const SERVER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128'];
