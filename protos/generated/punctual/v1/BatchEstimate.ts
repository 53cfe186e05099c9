// Original file: protos/punctual/v1/admin.proto


export interface BatchEstimate {
  'batchSize'?: (number);
  'executorClass'?: (string);
  'execMs'?: (number | string);
  'typicalMs'?: (number | string);
}

export interface BatchEstimate__Output {
  'batchSize': (number);
  'executorClass': (string);
  'execMs': (number);
  'typicalMs': (number);
}
