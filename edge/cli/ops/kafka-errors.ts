// Turns what the Kafka client throws into one sentence an operator can act on. The client
// nests its errors (a failed operation holds the failed attempts, which hold the failed
// connections, which hold the socket error); the useful fact is usually at the bottom.
import { TributaryError, isTributaryError } from '../../../shared/errors.ts';

/** Socket error codes and how they read in a message. */
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the peer',
  EPIPE: 'connection closed by the peer',
};

/** Nesting deeper than this is not produced by the client; stop rather than loop on a cycle. */
const ERROR_DEPTH_MAX = 16;

interface ErrorLike {
  message?: string;
  code?: string;
  errors?: unknown[];
  cause?: unknown;
  apiId?: string;
  serverErrorMessage?: string | null;
  path?: string;
}

/** Every error in the tree under `error`, depth first, the outermost first. */
export function flattenErrors(error: unknown): ErrorLike[] {
  const found: ErrorLike[] = [];
  const visit = (current: unknown, depth: number): void => {
    if (depth > ERROR_DEPTH_MAX || typeof current !== 'object' || current === null) return;
    const shaped = current as ErrorLike;
    found.push(shaped);
    for (const inner of Array.isArray(shaped.errors) ? shaped.errors : []) visit(inner, depth + 1);
    if (shaped.cause !== undefined) visit(shaped.cause, depth + 1);
  };
  visit(error, 0);
  return found;
}

/** The Kafka protocol error name in the tree (UNKNOWN_TOPIC_OR_PARTITION, …), if any. */
export function kafkaErrorIdOf(error: unknown): string | undefined {
  return flattenErrors(error).find((entry) => typeof entry.apiId === 'string')?.apiId;
}

/**
 * An operating error for a failed Kafka operation: "cannot reach the broker at
 * HOST:PORT: connection refused" when no connection could be made, the broker's own
 * error name and message otherwise. TributaryErrors pass through unchanged.
 */
export function explainKafkaError(error: unknown, bootstrap: readonly string[], action: string): TributaryError {
  if (isTributaryError(error)) return error;
  const all = flattenErrors(error);
  const socket = all.find((entry) => typeof entry.code === 'string' && entry.code in NETWORK_REASONS);
  if (socket) {
    return new TributaryError('BROKER_UNREACHABLE', `cannot reach the broker at ${bootstrap.join(',')}: ${NETWORK_REASONS[socket.code!]}`, { bootstrap }, { cause: error });
  }
  const protocol = all.find((entry) => typeof entry.apiId === 'string');
  if (protocol) {
    const detail = protocol.serverErrorMessage ? `: ${protocol.serverErrorMessage}` : '';
    return new TributaryError('BROKER_REQUEST_FAILED', `${action} failed: the broker answered ${protocol.apiId}${detail}`, { kafkaError: protocol.apiId }, { cause: error });
  }
  if (all.some((entry) => entry.code === 'PLT_KFK_NETWORK' || entry.code === 'PLT_KFK_TIMEOUT')) {
    const innermost = [...all].reverse().find((entry) => entry.code === 'PLT_KFK_NETWORK' || entry.code === 'PLT_KFK_TIMEOUT');
    return new TributaryError('BROKER_UNREACHABLE', `cannot reach the broker at ${bootstrap.join(',')}: ${lowerFirst(innermost?.message ?? 'network error')}`, { bootstrap }, { cause: error });
  }
  const innermost = all.at(-1);
  return new TributaryError('BROKER_REQUEST_FAILED', `${action} failed: ${lowerFirst(innermost?.message ?? String(error))}`, {}, { cause: error });
}

function lowerFirst(text: string): string {
  return text.replace(/\.$/, '').replace(/^[A-Z](?=[a-z])/, (first) => first.toLowerCase());
}
