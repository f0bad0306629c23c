// The store's topic and partition limits: what passes them is refused with
// TOPIC_LIMIT_REACHED naming the limit, and nothing of it is created; topics already on
// disk are opened whatever the limits say (lowering a limit never hides data), and a
// delete makes room again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTributaryError } from '../../../shared/errors.ts';
import type { LogStore } from '../../../edge/storage/index.ts';
import { openStore, removeDirectory, temporaryDirectory } from './helpers.ts';

async function refusal(work: Promise<unknown>): Promise<Error> {
  const error = await work.then(() => undefined, (failure: Error) => failure);
  assert.ok(isTributaryError(error, 'TOPIC_LIMIT_REACHED'), `expected TOPIC_LIMIT_REACHED, got ${String(error)}`);
  return error;
}

test('over the limits nothing is created; lowered limits still open every topic on disk; a delete makes room', async () => {
  const dataDir = temporaryDirectory();
  let store: LogStore | undefined;
  try {
    store = await openStore(dataDir, { topicLimits: { maxTopics: 3, maxPartitions: 6 } });
    await store.createTopic('a', { partitions: 3 });
    await store.createTopic('b', { partitions: 2 });
    assert.match((await refusal(store.createTopic('c', { partitions: 2 }))).message, 'topics.maxPartitions allows 6');
    assert.is(store.describeTopic('c'), undefined, 'nothing of the refused topic is left');
    await refusal(store.createPartitions('b', 4));
    assert.is(store.describeTopic('b')!.partitions, 2);
    await store.createTopic('c', { partitions: 1 });
    assert.match((await refusal(store.createTopic('d', { partitions: 1 }))).message, 'topics.maxTopics allows 3');
    await store.close();

    store = await openStore(dataDir, { topicLimits: { maxTopics: 1, maxPartitions: 1 } });
    assert.equal(store.listTopics().map((topic) => `${topic.name}:${topic.partitions}`).sort(), ['a:3', 'b:2', 'c:1'], 'every topic on disk opens under lower limits');
    await refusal(store.createTopic('d', { partitions: 1 }));
    await store.deleteTopic('b');
    await store.deleteTopic('c');
    await refusal(store.createTopic('d', { partitions: 1 }));
    await store.close();

    store = await openStore(dataDir, { topicLimits: { maxTopics: 2, maxPartitions: 4 } });
    await store.createTopic('d', { partitions: 1 });
    assert.equal(store.listTopics().map((topic) => topic.name).sort(), ['a', 'd']);
  } finally {
    await store?.close();
    removeDirectory(dataDir);
  }
});

test.run();
