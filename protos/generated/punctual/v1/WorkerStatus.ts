// Original file: protos/punctual/v1/admin.proto

import type { ExecutorStatus as _punctual_v1_ExecutorStatus, ExecutorStatus__Output as _punctual_v1_ExecutorStatus__Output } from '../../punctual/v1/ExecutorStatus.js';

export interface WorkerStatus {
  'id'?: (string);
  'name'?: (string);
  'executors'?: (_punctual_v1_ExecutorStatus)[];
  'clockOffsetMs'?: (number | string);
  'rttMs'?: (number | string);
  'connectedForS'?: (number | string);
  'draining'?: (boolean);
  'unresponsive'?: (boolean);
}

export interface WorkerStatus__Output {
  'id': (string);
  'name': (string);
  'executors': (_punctual_v1_ExecutorStatus__Output)[];
  'clockOffsetMs': (number);
  'rttMs': (number);
  'connectedForS': (number);
  'draining': (boolean);
  'unresponsive': (boolean);
}
