// Turns what an operator declared at registration (maybe nothing, maybe just
// a per-item shape) plus what the ONNX file itself says into the model's
// input specs. Names and dtypes always come from the model; a shape is only
// needed where the model's own dims (after the batch axis) are dynamic.
import { invalidArgument } from '../common/errors.js';
import { isDType } from '../common/dtype.js';
import type { TensorSpec } from '../common/model-config.js';
import type { ModelSignature } from '../common/model-signature.js';
import type { InputDeclaration__Output } from '../common/wire.js';

function show(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'number' && d > 0 ? d : '?')).join(', ')}]`;
}

export function resolveInputs(declared: readonly InputDeclaration__Output[], sig: ModelSignature): TensorSpec[] {
  if (sig.inputs.length === 0) throw invalidArgument('the model has no inputs');
  const specs: TensorSpec[] = [];
  for (const input of sig.inputs) {
    if (!isDType(input.dtype)) throw invalidArgument(`the model's input ${input.name} has dtype ${input.dtype}, which Punctual cannot carry`);
    if (input.shape.length === 0) throw invalidArgument(`the model's input ${input.name} is a scalar; a batch axis first is needed`);
    let decl = declared.find((d) => d.name === input.name);
    if (!decl && declared.length === 1 && declared[0]!.name === '' && sig.inputs.length === 1) decl = declared[0];
    const own = input.shape.slice(1);
    let shape: number[];
    if (decl) {
      if (decl.dtype !== '' && decl.dtype !== input.dtype) {
        throw invalidArgument(`declared input ${input.name} has dtype ${decl.dtype} but the model takes ${input.dtype}`);
      }
      shape = decl.shape.map(Number);
      if (shape.length !== own.length || shape.some((d, i) => !(d > 0) || (typeof own[i] === 'number' && (own[i] as number) > 0 && own[i] !== d))) {
        throw invalidArgument(
          `declared input shape [${shape.join(', ')}] does not match the model's input ${input.name} ${show(input.shape)} (batch axis first; declare the per-item shape)`,
        );
      }
    } else {
      if (own.some((d) => typeof d !== 'number' || d <= 0)) {
        throw invalidArgument(
          `the model's input ${input.name} ${show(input.shape)} has dynamic dimensions: declare its per-item shape (punctual models register --input-shape)`,
        );
      }
      shape = own as number[];
    }
    specs.push({ name: input.name, dtype: input.dtype, shape });
  }
  for (const d of declared) {
    if (d.name !== '' && !sig.inputs.some((i) => i.name === d.name)) {
      throw invalidArgument(`declared input ${d.name} is not an input of the model (its inputs: ${sig.inputs.map((i) => i.name).join(', ')})`);
    }
  }
  if (declared.length > 0 && declared.every((d) => d.name === '') && sig.inputs.length > 1) {
    throw invalidArgument(`the model has ${sig.inputs.length} inputs (${sig.inputs.map((i) => i.name).join(', ')}): name each declared shape`);
  }
  return specs;
}
