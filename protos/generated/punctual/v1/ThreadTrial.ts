// Original file: protos/punctual/v1/admin.proto


export interface ThreadTrial {
  'threads'?: (number);
  'p50Ms'?: (number | string);
  'p99Ms'?: (number | string);
}

export interface ThreadTrial__Output {
  'threads': (number);
  'p50Ms': (number);
  'p99Ms': (number);
}
