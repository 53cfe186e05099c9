// Original file: protos/punctual/v1/admin.proto


export interface DescribeModelRequest {
  'name'?: (string);
}

export interface DescribeModelRequest__Output {
  'name': (string);
}
