// Builds tiny, valid ONNX files in memory: y = x + c, one Add node with a
// float32 initializer. Tests and benchmarks register these to exercise the
// real onnxruntime without shipping extra model files. The protobuf wire
// format is written by hand (varints and length-delimited fields): ModelProto
// needs only a dozen fields, not a schema compiler. Test support, not product
// code; tsconfig.json compiles it (alone of test/) for bench/live.ts, since the
// benchmarks run from dist/.

class ProtoWriter {
  private readonly parts: Uint8Array[] = [];

  private varint(n: number): void {
    const bytes: number[] = [];
    let v = BigInt(n);
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      bytes.push(b);
    } while (v > 0n);
    this.parts.push(Uint8Array.from(bytes));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, n: number): this {
    this.tag(field, 0);
    this.varint(n);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(b.byteLength);
    this.parts.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT

/** A dimension: a fixed size, or a symbolic (dynamic) one by name. */
export type OnnxDim = number | string;

function valueInfo(name: string, dims: readonly OnnxDim[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

export interface AddModelOptions {
  /** Input name. @default 'x' */
  input?: string;
  /** Output name. @default 'y' */
  output?: string;
  /** Input dims including the batch axis. @default ['N', 4] */
  dims?: readonly OnnxDim[];
  /** The constant added to every element (tells versions apart). @default 1 */
  addend?: number;
  /** Extra unused float32 initializer of this many bytes, to make a large file. @default 0 */
  paddingBytes?: number;
}

/**
 * An ONNX model computing `y = x + addend` over float32 input of `dims`
 * (opset 13, IR version 8). onnxruntime opens and runs it.
 */
export function buildAddModel(opts: AddModelOptions = {}): Uint8Array {
  const input = opts.input ?? 'x';
  const output = opts.output ?? 'y';
  const dims = opts.dims ?? ['N', 4];
  const addend = opts.addend ?? 1;
  const c = new Float32Array([addend]);
  const constant = new ProtoWriter()
    .int(1, 1) // dims [1]: broadcasts over any input shape
    .int(2, FLOAT)
    .string(8, 'c')
    .bytes(9, new Uint8Array(c.buffer));
  const node = new ProtoWriter().string(1, input).string(1, 'c').string(2, output).string(3, 'add').string(4, 'Add');
  const graph = new ProtoWriter().message(1, node).string(2, 'punctual_add').message(5, constant);
  const padding = Math.floor((opts.paddingBytes ?? 0) / 4);
  if (padding > 0) {
    const pad = new ProtoWriter().int(1, padding).int(2, FLOAT).string(8, 'padding').bytes(9, new Uint8Array(padding * 4));
    graph.message(5, pad);
  }
  graph.message(11, valueInfo(input, dims)).message(12, valueInfo(output, dims));
  return new ProtoWriter()
    .int(1, 8) // ir_version
    .string(2, 'punctual-onnx-builder')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, 13)) // opset_import: default domain, 13
    .finish();
}
