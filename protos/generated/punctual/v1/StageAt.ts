// Original file: protos/punctual/v1/inference.proto


export interface StageAt {
  'ticket'?: (string);
  'dataAddress'?: (string);
  'windowMs'?: (number | string);
  'tls'?: (boolean);
}

export interface StageAt__Output {
  'ticket': (string);
  'dataAddress': (string);
  'windowMs': (number);
  'tls': (boolean);
}
