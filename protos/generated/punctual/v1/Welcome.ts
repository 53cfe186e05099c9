// Original file: protos/punctual/v1/worker.proto

import type { AdoptedModel as _punctual_v1_AdoptedModel, AdoptedModel__Output as _punctual_v1_AdoptedModel__Output } from '../../punctual/v1/AdoptedModel.js';

export interface Welcome {
  'workerId'?: (string);
  'controllerMs'?: (number | string);
  'takesBatches'?: (boolean);
  'adoptsSessions'?: (boolean);
  'adopted'?: (_punctual_v1_AdoptedModel)[];
}

export interface Welcome__Output {
  'workerId': (string);
  'controllerMs': (number);
  'takesBatches': (boolean);
  'adoptsSessions': (boolean);
  'adopted': (_punctual_v1_AdoptedModel__Output)[];
}
