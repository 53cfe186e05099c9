// STUB: builds the default model repository from the bundled PaddleOCR models.

/** Creates the default repository in `dir` unless it already holds models. Returns true when it created one. */
export async function ensureDefaultRepository(_dir: string): Promise<boolean> {
  throw new Error('not implemented yet');
}
