// The error every trace reader throws for a file that is not a trace it can
// read: the line, and what is wrong with it.

/** A malformed trace file: says which line (1-based) and, where it can, which column. */
export class TraceFormatError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'TraceFormatError';
  }
}
