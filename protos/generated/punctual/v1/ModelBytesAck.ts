// Original file: protos/punctual/v1/worker.proto


export interface ModelBytesAck {
  'modelKey'?: (string);
  'ok'?: (boolean);
  'message'?: (string);
  'contentUnknown'?: (boolean);
}

export interface ModelBytesAck__Output {
  'modelKey': (string);
  'ok': (boolean);
  'message': (string);
  'contentUnknown': (boolean);
}
