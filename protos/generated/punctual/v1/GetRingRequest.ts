// Original file: protos/punctual/v1/admin.proto


export interface GetRingRequest {
}

export interface GetRingRequest__Output {
}
