// DescribeClientQuotas (KIP-546): this broker enforces no client quotas, so every valid
// filter matches none; a filter Kafka 4.4 refuses (ClientQuotasImage.describe) is refused
// with the same error and message. It is served because kafka-configs --describe
// --entity-type users asks for quotas beside SCRAM credentials and fails without an answer.
// Who may call it (DESCRIBE_CONFIGS on the cluster) is checked before (authorization/api-checks.ts).
import type { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from '../../../shared/kafka/apis/describe-client-quotas.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';

/** The entity types of client quotas (Kafka's ClientQuotaEntity). */
const ENTITY_TYPES: ReadonlySet<string> = new Set(['user', 'client-id', 'ip']);
/** Match types: 0 an exact name, 1 the default entity, 2 any named entity (DescribeClientQuotasRequest.json). */
const MatchType = { EXACT: 0, DEFAULT: 1, SPECIFIED: 2 } as const;

/** Kafka's refusal of a filter, or undefined when it is valid. */
function filterProblem(request: DescribeClientQuotasRequest): { errorCode: number; errorMessage: string } | undefined {
  const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
  const seen = new Set<string>();
  for (const component of request.components) {
    if (component.entityType === '') return invalid('Invalid empty entity type.');
    if (seen.has(component.entityType)) return invalid(`Entity type ${component.entityType} cannot appear more than once in the filter.`);
    if (!ENTITY_TYPES.has(component.entityType)) return { errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: `Unsupported entity type ${component.entityType}` };
    seen.add(component.entityType);
    if (component.matchType === MatchType.EXACT && component.match === null) return invalid('Request specified MATCH_TYPE_EXACT, but set match string to null.');
    if (component.matchType === MatchType.DEFAULT && component.match !== null) return invalid('Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
    if (component.matchType === MatchType.SPECIFIED && component.match !== null) return invalid('Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
    if (!Object.values(MatchType).includes(component.matchType as 0 | 1 | 2)) return invalid(`Unknown match type ${component.matchType}`);
  }
  if (seen.has('ip') && (seen.has('user') || seen.has('client-id'))) {
    return invalid('Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.');
  }
  return undefined;
}

export function handleDescribeClientQuotas(request: DescribeClientQuotasRequest): DescribeClientQuotasResponse {
  const problem = filterProblem(request);
  if (problem !== undefined) return { throttleTimeMs: 0, ...problem, entries: null };
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries: [] };
}
