// Original file: protos/punctual/v1/admin.proto

import type { RingMember as _punctual_v1_RingMember, RingMember__Output as _punctual_v1_RingMember__Output } from '../../punctual/v1/RingMember.js';

export interface GetRingResponse {
  'members'?: (_punctual_v1_RingMember)[];
  'version'?: (string);
  'self'?: (string);
}

export interface GetRingResponse__Output {
  'members': (_punctual_v1_RingMember__Output)[];
  'version': (string);
  'self': (string);
}
