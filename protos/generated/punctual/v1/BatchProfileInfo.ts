// Original file: protos/punctual/v1/admin.proto


export interface BatchProfileInfo {
  'batchSize'?: (number);
  'iterations'?: (number);
  'meanMs'?: (number | string);
  'p50Ms'?: (number | string);
  'p99Ms'?: (number | string);
  'maxMs'?: (number | string);
}

export interface BatchProfileInfo__Output {
  'batchSize': (number);
  'iterations': (number);
  'meanMs': (number);
  'p50Ms': (number);
  'p99Ms': (number);
  'maxMs': (number);
}
