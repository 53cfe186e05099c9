// What an ONNX file itself declares: its inputs' and outputs' names, dtypes
// and shapes (symbolic dims as strings). worker/ort-session.ts reads it from a
// session; the controller checks a model's config against it.

export interface ModelSignature {
  inputs: { name: string; dtype: string; shape: (number | string)[] }[];
  outputs: { name: string; dtype: string; shape: (number | string)[] }[];
}
