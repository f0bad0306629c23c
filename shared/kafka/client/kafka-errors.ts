// How the mirror reads what went wrong in a request to a Kafka cluster: a broker's answer
// (an error code, with what the broker said about it) or a failure of the connection itself,
// refused credentials among them. @platformatic/kafka wraps errors in causes and aggregates
// ("metadata failed 2 times", "Cannot connect to any broker"); these functions look inside.
import { AuthenticationError, findErrorBy, NetworkError, ProtocolError } from '@platformatic/kafka';
import { TributaryError } from '../../errors.ts';

/** Kafka's error codes by name, from the table generated from Kafka's Errors.java. */
export { ErrorCode as KafkaError } from '../protocol/error-codes.ts';
import { ErrorCode as KafkaError } from '../protocol/error-codes.ts';

/**
 * What to look at when the central refuses a batch with these errors: the cause is on the
 * operator's side, and retrying alone may never help.
 */
export const KAFKA_ERROR_HINTS: Readonly<Partial<Record<number, string>>> = {
  [KafkaError.INVALID_TIMESTAMP]: 'the central refuses record timestamps further ahead of its clock than message.timestamp.after.max.ms (1 hour by default in Kafka 4) or further behind than message.timestamp.before.max.ms: check the edge\'s clock, or raise the setting on the topic',
  [KafkaError.TOPIC_AUTHORIZATION_FAILED]: 'the mirror\'s user may not write to the topic: grant it WRITE on the topic',
  [KafkaError.POLICY_VIOLATION]: 'a policy of the central refuses the batch',
};

/** Errors nest (a cause, the errors of an aggregate) at most this deep; deeper ones are not looked at. */
const ERROR_NESTING_MAX = 8;

/** The first error among `error`, its causes and the errors it aggregates that `matches` accepts. */
function findNested(error: unknown, matches: (candidate: Record<string, unknown>) => boolean, depth = 0): Record<string, unknown> | undefined {
  if (typeof error !== 'object' || error === null || depth > ERROR_NESTING_MAX) return undefined;
  const candidate = error as Record<string, unknown>;
  if (matches(candidate)) return candidate;
  for (const inner of [candidate.cause, ...(Array.isArray(candidate.errors) ? candidate.errors : [])]) {
    const found = findNested(inner, matches, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * When the cluster refused the client's credentials (SASL_AUTHENTICATION_FAILED), what it
 * said, e.g. "Authentication failed during authentication due to invalid credentials with
 * SASL mechanism SCRAM-SHA-512"; undefined for any other error.
 */
export function authenticationFailure(error: unknown): string | undefined {
  if (findNested(error, (candidate) => candidate.code === AuthenticationError.code) === undefined) return undefined;
  const refusal = findNested(error, (candidate) => candidate.apiId === 'SASL_AUTHENTICATION_FAILED');
  const said = refusal?.serverErrorMessage;
  return typeof said === 'string' && said !== '' ? said : 'SASL authentication failed';
}

/** A Kafka error answer that Kafka marks as retriable (a coordinator still loading, a leader moving). */
export function isRetriableKafkaAnswer(error: unknown): boolean {
  return findNested(error, (candidate) => candidate.code === ProtocolError.code && candidate.canRetry === true) !== undefined;
}

/** A failure of the connection itself (refused, reset, timed out), as opposed to an answer from the broker. */
export function isNetworkError(error: unknown): boolean {
  return findErrorBy(error as Error, 'code', NetworkError.code) !== null || (error instanceof TributaryError && error.details.retriable === true);
}

/** Kafka's name of the error a broker answered with (INVALID_REPLICATION_FACTOR, ...), when the error holds one. */
export function kafkaAnswerName(error: unknown): string | undefined {
  const answer = findNested(error, (candidate) => candidate.code === ProtocolError.code && typeof candidate.apiId === 'string');
  return answer?.apiId as string | undefined;
}

/** One line saying what went wrong, for logs, metrics and heartbeats. */
export function describeError(error: unknown): string {
  const answer = error as { code?: unknown; apiId?: unknown; serverErrorMessage?: unknown } | undefined;
  if (answer?.code === ProtocolError.code && typeof answer.apiId === 'string') {
    // A broker's answer: Kafka's error name, and what the broker said about it when it did.
    return typeof answer.serverErrorMessage === 'string' && answer.serverErrorMessage !== '' ? `${answer.apiId}: ${answer.serverErrorMessage}` : `${answer.apiId} (${(error as Error).message})`;
  }
  if (error instanceof AggregateError && error.errors.length > 0) {
    const inner = error.errors.map((entry: unknown) => describeError(entry));
    return `${error.message} ${[...new Set(inner)].join('; ')}`;
  }
  const cause = (error as { cause?: unknown }).cause;
  const own = error instanceof Error ? error.message : String(error);
  return cause instanceof Error && !own.includes(cause.message) ? `${own}: ${cause.message}` : own;
}
