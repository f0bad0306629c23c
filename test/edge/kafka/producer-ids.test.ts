import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProducerIdAllocator, type ProducerIdAllocatorOptions } from '../../../edge/kafka/producer-ids.ts';
import type { InitProducerIdRequest } from '../../../shared/kafka/apis/init-producer-id.ts';
import { ErrorCode as E } from '../../../shared/kafka/protocol/error-codes.ts';
import { Database } from '../../../shared/sqlite.ts';

const directories: string[] = [];
const opened: ProducerIdAllocator[] = [];

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-'));
  directories.push(directory);
  return directory;
}

async function open(options: Partial<ProducerIdAllocatorOptions> & { dataDir: string }): Promise<ProducerIdAllocator> {
  const allocator = await ProducerIdAllocator.open(options);
  opened.push(allocator);
  return allocator;
}

test.after.each(async () => {
  for (const allocator of opened.splice(0)) await allocator.close();
});
test.after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

const idempotent: InitProducerIdRequest = { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 };
const transactional = (transactionalId: string, expected?: { producerId: bigint; producerEpoch: number }): InitProducerIdRequest => ({
  transactionalId,
  transactionTimeoutMs: 60_000,
  producerId: expected?.producerId ?? -1n,
  producerEpoch: expected?.producerEpoch ?? -1,
});

test('idempotent producers get unique ids with epoch 0, never reused across reopening', async () => {
  const dataDir = temporaryDirectory();
  const seen = new Set<bigint>();
  for (let round = 0; round < 3; round += 1) {
    const allocator = await open({ dataDir, blockSize: 10 });
    const responses = await Promise.all(Array.from({ length: 25 }, () => allocator.initProducerId(idempotent)));
    for (const response of responses) {
      assert.is(response.errorCode, E.NONE);
      assert.is(response.producerEpoch, 0);
      assert.is(typeof response.producerId, 'bigint');
      assert.not.ok(seen.has(response.producerId), `producer id ${response.producerId} was handed out twice`);
      seen.add(response.producerId);
    }
    await allocator.close();
  }
  assert.is(seen.size, 75);
});

test('a transactional id keeps its producer id and gets the next epoch, across reopening', async () => {
  const dataDir = temporaryDirectory();
  const first = await open({ dataDir });
  const a = await first.initProducerId(transactional('mirror'));
  assert.equal([a.errorCode, a.producerEpoch], [E.NONE, 0]);
  const b = await first.initProducerId(transactional('mirror'));
  assert.equal([b.producerId, b.producerEpoch], [a.producerId, 1]);
  const other = await first.initProducerId(transactional('other'));
  assert.is.not(other.producerId, a.producerId);
  await first.close();

  const second = await open({ dataDir });
  const c = await second.initProducerId(transactional('mirror'));
  assert.equal([c.producerId, c.producerEpoch], [a.producerId, 2]);
  const fresh = await second.initProducerId(idempotent);
  assert.ok(fresh.producerId !== a.producerId && fresh.producerId !== other.producerId);
});

test('KIP-360: a producer naming its current epoch bumps it, a retry gets the same answer, a zombie is fenced', async () => {
  const allocator = await open({ dataDir: temporaryDirectory() });
  const start = await allocator.initProducerId(transactional('app'));
  const bumped = await allocator.initProducerId(transactional('app', { producerId: start.producerId, producerEpoch: start.producerEpoch }));
  assert.equal([bumped.errorCode, bumped.producerEpoch], [E.NONE, 1]);
  const retried = await allocator.initProducerId(transactional('app', { producerId: start.producerId, producerEpoch: start.producerEpoch }));
  assert.equal([retried.errorCode, retried.producerEpoch], [E.NONE, 1], 'the retry of a bump is not bumped again');
  const newInstance = await allocator.initProducerId(transactional('app'));
  assert.is(newInstance.producerEpoch, 2);
  const zombie = await allocator.initProducerId(transactional('app', { producerId: start.producerId, producerEpoch: 0 }));
  assert.is(zombie.errorCode, E.PRODUCER_FENCED);
  const wrongId = await allocator.initProducerId(transactional('app', { producerId: 999_999n, producerEpoch: 2 }));
  assert.is(wrongId.errorCode, E.PRODUCER_FENCED);
});

test('bad requests: empty transactional id, half of an expected id, a transaction timeout out of bounds', async () => {
  const allocator = await open({ dataDir: temporaryDirectory(), transactionTimeoutMsMax: 60_000 });
  assert.equal(await allocator.initProducerId(transactional('')), { errorCode: E.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 });
  assert.is((await allocator.initProducerId({ ...transactional('x'), producerId: 5n })).errorCode, E.INVALID_REQUEST);
  assert.is((await allocator.initProducerId({ ...transactional('x'), transactionTimeoutMs: 60_001 })).errorCode, E.INVALID_TRANSACTION_TIMEOUT);
  assert.is((await allocator.initProducerId({ ...transactional('x'), transactionTimeoutMs: 0 })).errorCode, E.INVALID_TRANSACTION_TIMEOUT);
  assert.is((await allocator.initProducerId({ ...idempotent, transactionTimeoutMs: 0 })).errorCode, E.NONE, 'an idempotent producer\'s timeout is not checked');
});

test('past the limit the least recently used transactional id is forgotten', async () => {
  const dataDir = temporaryDirectory();
  const allocator = await open({ dataDir, transactionalIdsMax: 2 });
  const a = await allocator.initProducerId(transactional('a'));
  await allocator.initProducerId(transactional('b'));
  await allocator.initProducerId(transactional('a'));
  await allocator.initProducerId(transactional('c'));
  await allocator.close();
  const reopened = await open({ dataDir, transactionalIdsMax: 2 });
  const again = await reopened.initProducerId(transactional('a'));
  assert.equal([again.producerId, again.producerEpoch], [a.producerId, 2], '"a" was used recently and is remembered');
  const forgotten = await reopened.initProducerId(transactional('b'));
  assert.is(forgotten.producerEpoch, 0, '"b" was forgotten and starts again');
});

test('an exhausted epoch moves the transactional id to a new producer id', async () => {
  const dataDir = temporaryDirectory();
  const first = await open({ dataDir });
  const start = await first.initProducerId(transactional('long-lived'));
  await first.close();
  // Bumping 32,766 times would take a while; set the epoch where Kafka calls it exhausted.
  const database = await Database.open(join(dataDir, 'meta', 'producers.sqlite'));
  await database.run("UPDATE transactional_ids SET producer_epoch = 32766 WHERE transactional_id = 'long-lived'");
  await database.close();
  const second = await open({ dataDir });
  const rotated = await second.initProducerId(transactional('long-lived'));
  assert.is(rotated.errorCode, E.NONE);
  assert.is(rotated.producerEpoch, 0);
  assert.is.not(rotated.producerId, start.producerId);
});

test('after close requests are refused and the database is closed', async () => {
  const allocator = await open({ dataDir: temporaryDirectory() });
  const pending = allocator.initProducerId(idempotent);
  await allocator.close();
  assert.is((await pending).errorCode, E.NONE, 'a request under way when close began is finished');
  assert.is((await allocator.initProducerId(idempotent)).errorCode, E.COORDINATOR_NOT_AVAILABLE);
});

test.run();
