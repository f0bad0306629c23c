import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Admin } from '@platformatic/kafka';
import { createServer } from 'node:net';
import { TributaryError } from '../../../../shared/errors.ts';
import { explainKafkaError, flattenErrors, kafkaErrorIdOf } from '../../../../edge/cli/ops/kafka-errors.ts';

/** A port on loopback that nothing listens on: bound, noted, and closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a refused connection, nested deep in the client\'s errors, reads as one sentence', async () => {
  const port = await closedPort();
  const admin = new Admin({ clientId: 'test', bootstrapBrokers: [`127.0.0.1:${port}`], retries: 0 });
  try {
    await admin.listTopics();
    assert.unreachable('listTopics succeeded without a broker');
  } catch (error) {
    const explained = explainKafkaError(error, [`127.0.0.1:${port}`], 'listing topics');
    assert.is(explained.code, 'BROKER_UNREACHABLE');
    assert.is(explained.message, `cannot reach the broker at 127.0.0.1:${port}: connection refused`);
  } finally {
    await admin.close();
  }
});

test('a Kafka error code in a response names the error and the broker\'s message', () => {
  const protocol = Object.assign(new Error('Topic already exists'), { apiId: 'TOPIC_ALREADY_EXISTS', serverErrorMessage: 'topic "a" already exists' });
  const wrapped = new AggregateError([protocol], 'Creating topics failed.');
  assert.is(kafkaErrorIdOf(wrapped), 'TOPIC_ALREADY_EXISTS');
  const explained = explainKafkaError(wrapped, ['h:1'], 'creating topic a');
  assert.is(explained.code, 'BROKER_REQUEST_FAILED');
  assert.is(explained.message, 'creating topic a failed: the broker answered TOPIC_ALREADY_EXISTS: topic "a" already exists');
});

test('operating errors pass through unchanged', () => {
  const original = new TributaryError('TOPIC_NOT_FOUND', 'no topic named x; there are no topics');
  assert.is(explainKafkaError(original, ['h:1'], 'x'), original);
});

test('flattening stops at a cycle of causes', () => {
  const first = new Error('first') as Error & { cause?: unknown };
  const second = new Error('second', { cause: first });
  first.cause = second;
  assert.ok(flattenErrors(first).length <= 17);
});

test.run();
