// Original file: protos/punctual/v1/admin.proto


export interface UnregisterModelResponse {
  'removed'?: (string)[];
}

export interface UnregisterModelResponse__Output {
  'removed': (string)[];
}
