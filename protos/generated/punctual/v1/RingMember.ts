// Original file: protos/punctual/v1/admin.proto


export interface RingMember {
  'name'?: (string);
  'address'?: (string);
}

export interface RingMember__Output {
  'name': (string);
  'address': (string);
}
