// Original file: protos/punctual/v1/admin.proto

import type { ClassProfileInfo as _punctual_v1_ClassProfileInfo, ClassProfileInfo__Output as _punctual_v1_ClassProfileInfo__Output } from '../../punctual/v1/ClassProfileInfo.js';
import type { ThreadTrial as _punctual_v1_ThreadTrial, ThreadTrial__Output as _punctual_v1_ThreadTrial__Output } from '../../punctual/v1/ThreadTrial.js';
import type { Long } from '@grpc/proto-loader';

export interface ProfileInfo {
  'measuredAt'?: (string);
  'host'?: (string);
  'memoryBytes'?: (number | string | Long);
  'classes'?: (_punctual_v1_ClassProfileInfo)[];
  'threadTrials'?: (_punctual_v1_ThreadTrial)[];
  'bestThreads'?: (number);
}

export interface ProfileInfo__Output {
  'measuredAt': (string);
  'host': (string);
  'memoryBytes': (number);
  'classes': (_punctual_v1_ClassProfileInfo__Output)[];
  'threadTrials': (_punctual_v1_ThreadTrial__Output)[];
  'bestThreads': (number);
}
