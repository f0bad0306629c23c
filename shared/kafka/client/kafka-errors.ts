// How the mirror reads what went wrong in a request to a Kafka cluster: a broker's answer
// (an error code, with what the broker said about it) or a failure of the connection itself,
// refused credentials among them. The client raises both as TributaryErrors: BROKER_REQUEST_FAILED
// for an answer (`kafkaError` names Kafka's error), BROKER_UNREACHABLE for the connection
// (`network`); probing every broker at once aggregates them, and these functions look inside.
import { TributaryError } from '../../errors.ts';
import { kafkaError } from '../protocol/error-codes.ts';

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

/**
 * A broker's error answer as an exception, for the requests whose callers cannot go on
 * without them (metadata, admin requests): Kafka's name of the error, what the broker said
 * (or Kafka's default text), and whether Kafka marks it retriable.
 */
export function kafkaAnswerError(errorCode: number, serverMessage: string | null | undefined, what: string): TributaryError {
  const known = kafkaError(errorCode);
  const name = known?.name ?? `UNKNOWN_ERROR_CODE_${errorCode}`;
  const said = serverMessage !== null && serverMessage !== undefined && serverMessage !== '' ? serverMessage : (known?.message ?? 'no message');
  const details: Record<string, unknown> = { kafkaError: name, errorCode, serverMessage: serverMessage ?? null, retriable: known?.retriable ?? false };
  // SASL_AUTHENTICATION_FAILED: the credentials were refused, not the request; say what the cluster said.
  if (errorCode === KafkaError.SASL_AUTHENTICATION_FAILED) details.authentication = said;
  return new TributaryError('BROKER_REQUEST_FAILED', `${name}: ${said} (${what})`, details);
}

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

function detailsOf(candidate: Record<string, unknown>): Record<string, unknown> {
  return candidate instanceof TributaryError ? candidate.details : {};
}

/**
 * When the cluster refused the client's credentials (SASL_AUTHENTICATION_FAILED), what it
 * said, e.g. "Authentication failed during authentication due to invalid credentials with
 * SASL mechanism SCRAM-SHA-512"; undefined for any other error.
 */
export function authenticationFailure(error: unknown): string | undefined {
  const refusal = findNested(error, (candidate) => typeof detailsOf(candidate).authentication === 'string');
  return refusal === undefined ? undefined : detailsOf(refusal).authentication as string;
}

/** A Kafka error answer that Kafka marks as retriable (a coordinator still loading, a leader moving). */
export function isRetriableKafkaAnswer(error: unknown): boolean {
  return findNested(error, (candidate) => typeof detailsOf(candidate).kafkaError === 'string' && detailsOf(candidate).retriable === true) !== undefined;
}

/** A failure of the connection itself (refused, reset, timed out), as opposed to an answer from the broker. */
export function isNetworkError(error: unknown): boolean {
  return findNested(error, (candidate) => detailsOf(candidate).network === true || (detailsOf(candidate).retriable === true && detailsOf(candidate).kafkaError === undefined)) !== undefined;
}

/** Kafka's name of the error a broker answered with (INVALID_REPLICATION_FACTOR, ...), when the error holds one. */
export function kafkaAnswerName(error: unknown): string | undefined {
  const answer = findNested(error, (candidate) => typeof detailsOf(candidate).kafkaError === 'string');
  return answer === undefined ? undefined : detailsOf(answer).kafkaError as string;
}

/** One line saying what went wrong, for logs, metrics and heartbeats. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    const inner = error.errors.map((entry: unknown) => describeError(entry));
    return `${error.message} ${[...new Set(inner)].join('; ')}`;
  }
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const own = error instanceof Error ? error.message : String(error);
  return cause instanceof Error && !own.includes(cause.message) ? `${own}: ${cause.message}` : own;
}
