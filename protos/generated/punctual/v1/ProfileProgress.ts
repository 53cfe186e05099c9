// Original file: protos/punctual/v1/admin.proto


export interface ProfileProgress {
  'done'?: (number);
  'total'?: (number);
  'threads'?: (number);
  'batchSize'?: (number);
}

export interface ProfileProgress__Output {
  'done': (number);
  'total': (number);
  'threads': (number);
  'batchSize': (number);
}
