// Original file: protos/punctual/v1/worker.proto


export interface EmulatedBatch {
  'batch'?: (number);
  'p50Ms'?: (number | string);
  'p99Ms'?: (number | string);
}

export interface EmulatedBatch__Output {
  'batch': (number);
  'p50Ms': (number);
  'p99Ms': (number);
}
