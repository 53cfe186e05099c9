// Original file: protos/punctual/v1/admin.proto


export interface ListModelsRequest {
  'pageSize'?: (number);
  'pageToken'?: (string);
  'brief'?: (boolean);
  'name'?: (string);
}

export interface ListModelsRequest__Output {
  'pageSize': (number);
  'pageToken': (string);
  'brief': (boolean);
  'name': (string);
}
