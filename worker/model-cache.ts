// The worker's cache of model bytes in RAM. The controller sends each model
// once per worker, in chunks; the bytes are assembled into a SharedArrayBuffer
// so that every executor thread reads the same memory (posting a view of it to
// a thread shares it, no copy). Bytes are held once per distinct content
// (SHA-256): a model whose bytes equal another's shares its buffer, whether
// the controller sent them again or only named them (adopt(), for the copies
// of one file). The cache never evicts on its own: the controller says when
// to forget a model; a buffer goes when the last model using it is forgotten.
import { createHash, type Hash } from 'node:crypto';

/** One chunk as it arrives (from the proto ModelBytes message). */
export interface ModelChunk {
  modelKey: string;
  offset: number;
  totalSize: number;
  chunk: Uint8Array;
  last: boolean;
  /** Hex SHA-256 of the whole file, on the last chunk. */
  sha256: string;
}

/** The outcome of a transfer, reported once, on its last chunk. */
export interface TransferOutcome {
  modelKey: string;
  ok: boolean;
  message: string;
  /** adopt() found no bytes with that SHA-256: they must be sent. */
  contentUnknown?: boolean;
}

/** One distinct content and the models served from it. */
interface Blob {
  bytes: Uint8Array;
  sha256: string;
  keys: Set<string>;
}

interface Transfer {
  bytes: Uint8Array;
  received: number;
  hash: Hash;
  /** Set once the transfer went wrong; later chunks are ignored until the last. */
  error?: string;
}

/** Largest model accepted; beyond it a total_size is almost certainly garbage. */
const MAX_MODEL_BYTES = 8 * 1024 ** 3;

export class ModelCache {
  /** A cache that has received each of these models whole, as from a controller (tests and benches start executors on one). */
  static holding(models: Readonly<Record<string, Uint8Array>>): ModelCache {
    const cache = new ModelCache();
    for (const [modelKey, bytes] of Object.entries(models)) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const outcome = cache.receive({ modelKey, offset: 0, totalSize: bytes.byteLength, chunk: bytes, last: true, sha256 });
      if (!outcome?.ok) throw new Error(`caching ${modelKey} failed: ${outcome?.message ?? 'no outcome'}`);
    }
    return cache;
  }

  private readonly models = new Map<string, Blob>();
  private readonly blobs = new Map<string, Blob>();
  private readonly transfers = new Map<string, Transfer>();

  /**
   * Takes one chunk. Returns the outcome when the chunk was the last of its
   * transfer (verified against its SHA-256), else undefined. Chunks must come
   * in order; a chunk at offset 0 restarts a transfer.
   */
  receive(c: ModelChunk): TransferOutcome | undefined {
    let t = this.transfers.get(c.modelKey);
    if (c.offset === 0 || t === undefined) {
      t = this.begin(c);
      this.transfers.set(c.modelKey, t);
    }
    if (t.error === undefined) t.error = this.append(t, c);
    if (!c.last) return undefined;

    this.transfers.delete(c.modelKey);
    const fail = (message: string): TransferOutcome => ({ modelKey: c.modelKey, ok: false, message });
    if (t.error !== undefined) return fail(t.error);
    if (t.received !== t.bytes.byteLength) {
      return fail(`model ${c.modelKey}: last chunk arrived after ${t.received} of ${t.bytes.byteLength} bytes`);
    }
    const want = c.sha256.trim().toLowerCase();
    if (want === '') return fail(`model ${c.modelKey}: last chunk carries no sha256`);
    const got = t.hash.digest('hex');
    if (got !== want) return fail(`model ${c.modelKey}: sha256 mismatch: computed ${got}, expected ${want}`);
    // Bytes already held for another model are kept once: the new buffer is dropped.
    const blob = this.blobs.get(got) ?? { bytes: t.bytes, sha256: got, keys: new Set<string>() };
    this.bind(c.modelKey, blob);
    return { modelKey: c.modelKey, ok: true, message: '' };
  }

  /**
   * Serves `modelKey` from bytes already held with this SHA-256 (and size),
   * without a transfer. Cancels a transfer of `modelKey` in progress.
   */
  adopt(modelKey: string, sha256: string, size: number): TransferOutcome {
    this.transfers.delete(modelKey);
    const blob = this.blobs.get(sha256.trim().toLowerCase());
    if (!blob || blob.bytes.byteLength !== size) {
      return { modelKey, ok: false, contentUnknown: true, message: `model ${modelKey}: no bytes with sha256 ${sha256} of ${size} bytes are held here` };
    }
    this.bind(modelKey, blob);
    return { modelKey, ok: true, message: '' };
  }

  /** The model's bytes, a view over a SharedArrayBuffer, if cached. */
  get(modelKey: string): Uint8Array | undefined {
    return this.models.get(modelKey)?.bytes;
  }

  has(modelKey: string): boolean {
    return this.models.has(modelKey);
  }

  /** Keys of the models held completely (what Hello announces). */
  keys(): string[] {
    return [...this.models.keys()];
  }

  /** Bytes held: each distinct content once, however many models share it. */
  bytes(): number {
    let n = 0;
    for (const b of this.blobs.values()) n += b.bytes.byteLength;
    return n;
  }

  /** Distinct contents held. */
  contents(): number {
    return this.blobs.size;
  }

  /** Drops a model's bytes (and any transfer of it in progress). True if it was cached. */
  forget(modelKey: string): boolean {
    this.transfers.delete(modelKey);
    return this.unbind(modelKey);
  }

  private bind(modelKey: string, blob: Blob): void {
    if (this.models.get(modelKey) === blob) return;
    this.unbind(modelKey);
    blob.keys.add(modelKey);
    this.blobs.set(blob.sha256, blob);
    this.models.set(modelKey, blob);
  }

  private unbind(modelKey: string): boolean {
    const blob = this.models.get(modelKey);
    if (!blob) return false;
    this.models.delete(modelKey);
    blob.keys.delete(modelKey);
    if (blob.keys.size === 0) this.blobs.delete(blob.sha256);
    return true;
  }

  private begin(c: ModelChunk): Transfer {
    const transfer = (size: number, error?: string): Transfer => ({
      bytes: new Uint8Array(new SharedArrayBuffer(size)),
      received: 0,
      hash: createHash('sha256'),
      error,
    });
    if (c.offset !== 0) return transfer(0, `model ${c.modelKey}: chunk at offset ${c.offset} without a transfer started at offset 0`);
    if (!Number.isSafeInteger(c.totalSize) || c.totalSize < 0 || c.totalSize > MAX_MODEL_BYTES) {
      return transfer(0, `model ${c.modelKey}: total_size ${c.totalSize} is not a valid size`);
    }
    return transfer(c.totalSize);
  }

  /** Copies a chunk in place; returns an error message if it does not fit. */
  private append(t: Transfer, c: ModelChunk): string | undefined {
    const size = t.bytes.byteLength;
    if (c.totalSize !== size) return `model ${c.modelKey}: total_size changed from ${size} to ${c.totalSize} mid-transfer`;
    if (c.offset !== t.received) return `model ${c.modelKey}: chunk at offset ${c.offset}, expected ${t.received} (chunks must come in order)`;
    if (c.offset + c.chunk.byteLength > size) {
      return `model ${c.modelKey}: chunk of ${c.chunk.byteLength} bytes at offset ${c.offset} overflows total_size ${size}`;
    }
    t.bytes.set(c.chunk, c.offset);
    t.hash.update(c.chunk);
    t.received += c.chunk.byteLength;
    return undefined;
  }
}
