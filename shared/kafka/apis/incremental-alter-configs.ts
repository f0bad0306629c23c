// IncrementalAlterConfigs (API key 44, KIP-339). Schema: apache/kafka IncrementalAlterConfigsRequest.json and IncrementalAlterConfigsResponse.json.
//
// IncrementalAlterConfigs Request (Version: 1) => [resources] validate_only TAG_BUFFER
//   resources => resource_type resource_name [configs] TAG_BUFFER
//     configs => name config_operation value TAG_BUFFER
// IncrementalAlterConfigs Response (Version: 1) => throttle_time_ms [responses] TAG_BUFFER
//   responses => error_code error_message resource_type resource_name TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, int8, string } from '../protocol/schema.ts';
import { alterConfigsResponse } from './alter-configs.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const incrementalAlterConfigsApi = defineApi({
  apiKey: ApiKey.IncrementalAlterConfigs,
  versions: '0-1',
  request: {
    resources: array('0+', {
      resourceType: int8('0+'),
      resourceName: string('0+'),
      configs: array('0+', {
        name: string('0+'),
        configOperation: int8('0+'),
        value: string('0+').nullable('0+'),
      }),
    }),
    validateOnly: bool('0+'),
  },
  response: alterConfigsResponse,
});

export type IncrementalAlterConfigsRequest = RequestOf<typeof incrementalAlterConfigsApi>;
export type IncrementalAlterConfigsResponse = ResponseOf<typeof incrementalAlterConfigsApi>;
