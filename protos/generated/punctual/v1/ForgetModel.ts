// Original file: protos/punctual/v1/worker.proto


export interface ForgetModel {
  'modelKey'?: (string);
}

export interface ForgetModel__Output {
  'modelKey': (string);
}
