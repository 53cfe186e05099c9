// Original file: protos/inference/grpc_service.proto


export interface RepositoryModelUnloadResponse {
}

export interface RepositoryModelUnloadResponse__Output {
}
