// Original file: protos/punctual/v1/worker.proto


export interface AdoptedModel {
  'executor'?: (number);
  'modelKey'?: (string);
}

export interface AdoptedModel__Output {
  'executor': (number);
  'modelKey': (string);
}
