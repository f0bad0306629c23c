// DescribeClientQuotas (API key 48, KIP-546). Schema: apache/kafka DescribeClientQuotasRequest.json
// and DescribeClientQuotasResponse.json; version 1 is flexible. Kafka's kafka-configs
// --describe --entity-type users asks for quotas beside SCRAM credentials, so a broker that
// answers one must answer the other.
//
// DescribeClientQuotas Request (Version: 1) => [components] strict TAG_BUFFER
//   components => entity_type match_type match TAG_BUFFER
// DescribeClientQuotas Response (Version: 1) => throttle_time_ms error_code error_message [entries] TAG_BUFFER
//   entries => [entity] [values] TAG_BUFFER
//     entity => entity_type entity_name TAG_BUFFER
//     values => key value TAG_BUFFER
import { ApiKey } from '../protocol/api-keys.ts';
import { defineApi, array, bool, float64, int8, int16, int32, string } from '../protocol/schema.ts';
import type { RequestOf, ResponseOf } from '../protocol/schema.ts';

export const describeClientQuotasApi = defineApi({
  apiKey: ApiKey.DescribeClientQuotas,
  versions: '0-1',
  request: {
    components: array('0+', {
      entityType: string('0+'),
      matchType: int8('0+'),
      match: string('0+').nullable('0+'),
    }),
    strict: bool('0+'),
  },
  response: {
    throttleTimeMs: int32('0+'),
    errorCode: int16('0+'),
    errorMessage: string('0+').nullable('0+'),
    entries: array('0+', {
      entity: array('0+', {
        entityType: string('0+'),
        entityName: string('0+').nullable('0+'),
      }),
      values: array('0+', {
        key: string('0+'),
        value: float64('0+'),
      }),
    }).nullable('0+'),
  },
});

export type DescribeClientQuotasRequest = RequestOf<typeof describeClientQuotasApi>;
export type DescribeClientQuotasResponse = ResponseOf<typeof describeClientQuotasApi>;
