// Original file: protos/punctual/v1/inference.proto


export interface Timings {
  'queueMs'?: (number | string);
  'execMs'?: (number | string);
  'totalMs'?: (number | string);
}

export interface Timings__Output {
  'queueMs': (number);
  'execMs': (number);
  'totalMs': (number);
}
