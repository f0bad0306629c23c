// AlterConfigs (API key 33). Schema: apache/kafka AlterConfigsRequest.json and AlterConfigsResponse.json.
//
// AlterConfigs Request (Version: 2) => [resources] validate_only TAG_BUFFER
//   resources => resource_type resource_name [configs] TAG_BUFFER
//     configs => name value TAG_BUFFER
// AlterConfigs Response (Version: 2) => throttle_time_ms [responses] TAG_BUFFER
//   responses => error_code error_message resource_type resource_name TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, int8, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

/** The response fields, which IncrementalAlterConfigs shares (Kafka's AlterConfigsResourceResponse). */
export const alterConfigsResponse = {
  throttleTimeMs: int32('0+'),
  responses: array('0+', {
    errorCode: int16('0+'),
    errorMessage: string('0+').nullable('0+'),
    resourceType: int8('0+'),
    resourceName: string('0+'),
  }),
};

export const alterConfigsApi = defineApi({
  apiKey: ApiKey.AlterConfigs,
  versions: '0-2',
  request: {
    resources: array('0+', {
      resourceType: int8('0+'),
      resourceName: string('0+'),
      configs: array('0+', {
        name: string('0+'),
        value: string('0+').nullable('0+'),
      }),
    }),
    validateOnly: bool('0+'),
  },
  response: alterConfigsResponse,
});

export type AlterConfigsRequest = RequestOf<typeof alterConfigsApi>;
export type AlterConfigsResponse = ResponseOf<typeof alterConfigsApi>;
