// Original file: protos/punctual/v1/worker.proto

export const ResultStatus = {
  RESULT_STATUS_UNSPECIFIED: 'RESULT_STATUS_UNSPECIFIED',
  OK: 'OK',
  COULD_NOT_START_IN_TIME: 'COULD_NOT_START_IN_TIME',
  FAILED: 'FAILED',
} as const;

export type ResultStatus =
  | 'RESULT_STATUS_UNSPECIFIED'
  | 0
  | 'OK'
  | 1
  | 'COULD_NOT_START_IN_TIME'
  | 2
  | 'FAILED'
  | 3

export type ResultStatus__Output = typeof ResultStatus[keyof typeof ResultStatus]
