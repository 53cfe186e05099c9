// Original file: protos/punctual/v1/admin.proto


export interface ClusterStatusRequest {
  'pageSize'?: (number);
  'pageToken'?: (string);
  'brief'?: (boolean);
}

export interface ClusterStatusRequest__Output {
  'pageSize': (number);
  'pageToken': (string);
  'brief': (boolean);
}
