// HTTP sink: POSTs a topic's records to a URL in batches, as a JSON array of record
// envelopes (runtime/record-envelope.ts), each request carrying an Idempotency-Key made
// of the batch's coordinates (draft-ietf-httpapi-idempotency-key-header: a structured
// string, so quoted), e.g. "alerts/0/1200-1299".
//
// Delivery is at least once. A batch's offsets are committed (consumer group
// connect-<name>) only once the receiver has answered 2xx, and in the order the batches
// were read, so after a failure or a crash the uncommitted batches are sent again: a
// receiver that remembers the coordinates it has taken (or the keys) drops the repeats,
// which makes the whole exactly once at the receiver.
//
// Answers: 2xx delivered; 408, 429 and 5xx, a refused connection or a timeout fail the
// session, which the runtime starts again after its backoff (exponential, from
// retryBackoffMinMs to retryBackoffMaxMs) and which resends from the last commit; any other
// 4xx means the receiver will never take the batch: onRejected decides whether it is
// retried all the same or skipped (logged with the receiver's answer, and counted).
import type { HttpSinkConfig } from '../../../shared/config/connectors-schema.ts';
import { peerFailure } from '../runtime/connector-runtime.ts';
import { sinkConnector, type ConnectorFactory, type SinkSession } from '../runtime/connector-kinds.ts';
import type { RecordData } from '../runtime/log-access.ts';
import { recordEnvelope } from '../runtime/record-envelope.ts';
import type { SinkBatch } from '../runtime/sink-input.ts';

/** How long the sink waits for records before it looks again (and notices a stop). */
const IDLE_WAIT_MS = 1000;
/** Characters of a receiver's answer kept for the log when it refuses a batch, and the bytes read to find them. */
const ANSWER_CHARACTERS_SHOWN_MAX = 300;
const ANSWER_BYTES_READ_MAX = 4096;
/** Answers that mean "later": the request may succeed if sent again (RFC 9110 15.5.9, RFC 6585 4, and 5xx). */
const RETRIABLE_STATUSES = new Set([408, 429]);

export const httpSink: ConnectorFactory<HttpSinkConfig> = (config, deps) => sinkConnector(config, deps, {
  session: (session) => deliver(config, session),
});

interface Request {
  batch: SinkBatch;
  /** Resolves when the request is answered, never rejects: `error` then says how it went. */
  done: Promise<void>;
  settled: boolean;
  error?: unknown;
}

async function deliver(config: HttpSinkConfig, session: SinkSession): Promise<void> {
  const { signal } = session;
  // Requests still under way when the session fails are given up: the next session sends them again.
  const abandon = new AbortController();
  const requestSignal = AbortSignal.any([signal, abandon.signal]);
  // Requests in the order their batches were read; committed from the front as they finish.
  const window: Request[] = [];
  try {
    while (!signal.aborted) {
      const failed = window.find((request) => request.error !== undefined);
      if (failed !== undefined) throw failed.error;
      if (window.length >= config.maxInFlight) {
        await settleFront(window, session);
        continue;
      }
      const batch = await readBatch(config, session);
      if (batch === undefined) {
        if (window.length > 0) await settleFront(window, session);
        // Nothing waiting and nothing failed: the receiver is as good as up.
        else session.connected();
        continue;
      }
      const request: Request = { batch, settled: false, done: Promise.resolve() };
      request.done = post(config, batch, session, requestSignal).then(
        () => { request.settled = true; },
        (error: unknown) => { request.settled = true; request.error = error; },
      );
      window.push(request);
    }
  } finally {
    abandon.abort();
  }
}

/** Waits for the oldest request, then commits it and every finished one behind it. */
async function settleFront(window: Request[], session: SinkSession): Promise<void> {
  await window[0]!.done;
  const positions = new Map<number, bigint>();
  let delivered = 0;
  while (window.length > 0 && window[0]!.settled) {
    if (window[0]!.error !== undefined) throw window[0]!.error;
    const { batch } = window.shift()!;
    positions.set(batch.partition, batch.nextOffset);
    delivered += batch.records.length;
  }
  await session.input.commit(positions);
  session.meter.records(delivered);
  session.connected();
}

/** Up to batchRecords records of one partition, waiting lingerMs for more when the batch is not full. */
async function readBatch(config: HttpSinkConfig, session: SinkSession): Promise<SinkBatch | undefined> {
  const { input, signal } = session;
  const batch = await input.next(config.batchRecords, config.batchBytes, IDLE_WAIT_MS, signal);
  if (batch === undefined || batch.records.length >= config.batchRecords || config.lingerMs === 0) return batch;
  await new Promise((resolve) => setTimeout(resolve, config.lingerMs));
  const more = await input.more(batch.partition, config.batchRecords - batch.records.length, config.batchBytes - recordsBytes(batch.records));
  if (more.length === 0) return batch;
  return { partition: batch.partition, records: [...batch.records, ...more], nextOffset: more[more.length - 1]!.offset + 1n };
}

function recordsBytes(records: readonly RecordData[]): number {
  let bytes = 0;
  for (const record of records) bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
  return bytes;
}

export function idempotencyKey(batch: SinkBatch, topic: string): string {
  return `"${topic}/${batch.partition}/${batch.records[0]!.offset}-${batch.records[batch.records.length - 1]!.offset}"`;
}

async function post(config: HttpSinkConfig, batch: SinkBatch, session: SinkSession, signal: AbortSignal): Promise<void> {
  const { logger, meter } = session;
  const body = JSON.stringify(batch.records.map(recordEnvelope));
  const key = idempotencyKey(batch, config.from);
  let response: Response;
  try {
    response = await fetch(config.url, {
      method: 'POST',
      headers: { ...config.headers, 'content-type': 'application/json', 'idempotency-key': key },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeoutMs)]),
    });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw peerFailure(timedOut ? 'timeout' : 'connect', timedOut ? `POST ${config.url}: no answer within ${config.timeoutMs} ms` : `POST ${config.url}: ${describeFetchError(error)}`, error);
  }
  const answer = await answerText(response);
  if (response.ok) return;
  const what = `POST ${config.url} (records ${key}): HTTP ${response.status}${answer ? `: ${answer}` : ''}`;
  if (response.status >= 500 || RETRIABLE_STATUSES.has(response.status)) throw peerFailure('deliver', what);
  if (config.onRejected === 'retry') throw peerFailure('rejected', `${what}; the batch is sent again after the backoff (onRejected: retry)`);
  meter.error('rejected');
  logger.error({ connector: config.name, status: response.status, answer, records: batch.records.length, key }, `the receiver refused a batch, which is skipped (onRejected: skip): ${what}`);
}

/** The start of the answer's body, for the log; reading stops there and the rest is dropped. */
async function answerText(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    while (bytes < ANSWER_BYTES_READ_MAX) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      bytes += value.length;
    }
  } catch {
    // An answer cut short still says what it said so far.
  } finally {
    void reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, ANSWER_CHARACTERS_SHOWN_MAX).trim();
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code !== undefined ? `${cause.code} ${cause.message ?? ''}`.trim() : (error as Error).message;
}
