// Original file: protos/punctual/v1/worker.proto


export interface Welcome {
  'workerId'?: (string);
  'controllerMs'?: (number | string);
  'takesBatches'?: (boolean);
}

export interface Welcome__Output {
  'workerId': (string);
  'controllerMs': (number);
  'takesBatches': (boolean);
}
