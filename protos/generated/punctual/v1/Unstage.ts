// Original file: protos/punctual/v1/worker.proto


export interface Unstage {
  'ticket'?: (string);
}

export interface Unstage__Output {
  'ticket': (string);
}
