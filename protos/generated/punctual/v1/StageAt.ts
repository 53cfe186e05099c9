// Original file: protos/punctual/v1/inference.proto


export interface StageAt {
  'ticket'?: (string);
  'dataAddress'?: (string);
  'windowMs'?: (number | string);
}

export interface StageAt__Output {
  'ticket': (string);
  'dataAddress': (string);
  'windowMs': (number);
}
