// Original file: protos/punctual/v1/worker.proto


export interface StagedRow {
  'row'?: (number);
  'ticket'?: (string);
}

export interface StagedRow__Output {
  'row': (number);
  'ticket': (string);
}
