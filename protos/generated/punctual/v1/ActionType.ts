// Original file: protos/punctual/v1/worker.proto

export const ActionType = {
  ACTION_TYPE_UNSPECIFIED: 'ACTION_TYPE_UNSPECIFIED',
  LOAD: 'LOAD',
  UNLOAD: 'UNLOAD',
  INFER: 'INFER',
} as const;

export type ActionType =
  | 'ACTION_TYPE_UNSPECIFIED'
  | 0
  | 'LOAD'
  | 1
  | 'UNLOAD'
  | 2
  | 'INFER'
  | 3

export type ActionType__Output = typeof ActionType[keyof typeof ActionType]
