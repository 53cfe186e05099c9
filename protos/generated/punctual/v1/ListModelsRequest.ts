// Original file: protos/punctual/v1/admin.proto


export interface ListModelsRequest {
}

export interface ListModelsRequest__Output {
}
