// Original file: protos/punctual/v1/admin.proto

import type { RegisterMetadata as _punctual_v1_RegisterMetadata, RegisterMetadata__Output as _punctual_v1_RegisterMetadata__Output } from '../../punctual/v1/RegisterMetadata.js';

export interface ExportModelChunk {
  'meta'?: (_punctual_v1_RegisterMetadata | null);
  'chunk'?: (Buffer | Uint8Array | string);
  'part'?: "meta"|"chunk";
}

export interface ExportModelChunk__Output {
  'meta'?: (_punctual_v1_RegisterMetadata__Output | null);
  'chunk'?: (Buffer);
  'part'?: "meta"|"chunk";
}
