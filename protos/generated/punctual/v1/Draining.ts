// Original file: protos/punctual/v1/worker.proto


export interface Draining {
}

export interface Draining__Output {
}
