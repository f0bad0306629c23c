// DescribeConfigs (API key 32). Schema: apache/kafka DescribeConfigsRequest.json and DescribeConfigsResponse.json.
//
// DescribeConfigs Request (Version: 4) => [resources] include_synonyms include_documentation TAG_BUFFER
//   resources => resource_type resource_name [configuration_keys] TAG_BUFFER
// DescribeConfigs Response (Version: 4) => throttle_time_ms [results] TAG_BUFFER
//   results => error_code error_message resource_type resource_name [configs] TAG_BUFFER
//     configs => name value read_only config_source is_sensitive [synonyms] config_type documentation TAG_BUFFER
//       synonyms => name value source TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, int8, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const describeConfigsApi = defineApi({
  apiKey: ApiKey.DescribeConfigs,
  versions: '0-4',
  request: {
    resources: array('0+', {
      resourceType: int8('0+'),
      resourceName: string('0+'),
      configurationKeys: array('0+', 'string').nullable('0+'),
    }),
    includeSynonyms: bool('1+').default(false),
    includeDocumentation: bool('3+').default(false),
  },
  response: {
    throttleTimeMs: int32('0+'),
    results: array('0+', {
      errorCode: int16('0+'),
      errorMessage: string('0+').nullable('0+'),
      resourceType: int8('0+'),
      resourceName: string('0+'),
      configs: array('0+', {
        name: string('0+'),
        value: string('0+').nullable('0+'),
        readOnly: bool('0+'),
        isDefault: bool('0'),
        configSource: int8('1+').default(-1),
        isSensitive: bool('0+'),
        synonyms: array('1+', {
          name: string('1+'),
          value: string('1+').nullable('0+'),
          source: int8('1+'),
        }),
        configType: int8('3+').default(0),
        documentation: string('3+').nullable('0+'),
      }),
    }),
  },
});

export type DescribeConfigsRequest = RequestOf<typeof describeConfigsApi>;
export type DescribeConfigsResponse = ResponseOf<typeof describeConfigsApi>;
