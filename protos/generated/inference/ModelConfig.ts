// Original file: protos/inference/model_config.proto

import type { ModelVersionPolicy as _inference_ModelVersionPolicy, ModelVersionPolicy__Output as _inference_ModelVersionPolicy__Output } from '../inference/ModelVersionPolicy.js';
import type { ModelInput as _inference_ModelInput, ModelInput__Output as _inference_ModelInput__Output } from '../inference/ModelInput.js';
import type { ModelOutput as _inference_ModelOutput, ModelOutput__Output as _inference_ModelOutput__Output } from '../inference/ModelOutput.js';
import type { ModelInstanceGroup as _inference_ModelInstanceGroup, ModelInstanceGroup__Output as _inference_ModelInstanceGroup__Output } from '../inference/ModelInstanceGroup.js';
import type { ModelDynamicBatching as _inference_ModelDynamicBatching, ModelDynamicBatching__Output as _inference_ModelDynamicBatching__Output } from '../inference/ModelDynamicBatching.js';

export interface ModelConfig {
  'name'?: (string);
  'platform'?: (string);
  'versionPolicy'?: (_inference_ModelVersionPolicy | null);
  'maxBatchSize'?: (number);
  'input'?: (_inference_ModelInput)[];
  'output'?: (_inference_ModelOutput)[];
  'instanceGroup'?: (_inference_ModelInstanceGroup)[];
  'defaultModelFilename'?: (string);
  'dynamicBatching'?: (_inference_ModelDynamicBatching | null);
  'backend'?: (string);
  'schedulingChoice'?: "dynamicBatching";
}

export interface ModelConfig__Output {
  'name': (string);
  'platform': (string);
  'versionPolicy': (_inference_ModelVersionPolicy__Output | null);
  'maxBatchSize': (number);
  'input': (_inference_ModelInput__Output)[];
  'output': (_inference_ModelOutput__Output)[];
  'instanceGroup': (_inference_ModelInstanceGroup__Output)[];
  'defaultModelFilename': (string);
  'dynamicBatching'?: (_inference_ModelDynamicBatching__Output | null);
  'backend': (string);
  'schedulingChoice'?: "dynamicBatching";
}
