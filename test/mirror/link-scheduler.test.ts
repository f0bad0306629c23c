import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BandwidthShaper } from '../../mirror/bandwidth.ts';
import { LinkScheduler, type Grant } from '../../mirror/link-scheduler.ts';

const normal = { priority: 0, anytime: false };

function scheduler(options: { inFlightBytesMax?: number; windowOpen?: () => boolean } = {}) {
  return new LinkScheduler({ shaper: new BandwidthShaper(0), inFlightBytesMax: options.inFlightBytesMax ?? 100, windowOpen: options.windowOpen ?? (() => true) });
}

/** Records the order in which turns are granted. */
function recorder() {
  const order: string[] = [];
  const grants = new Map<string, Grant>();
  return {
    order,
    take: (key: string) => (grant: Grant) => { order.push(key); grants.set(key, grant); },
    release: (key: string) => { grants.get(key)!.release(); grants.delete(key); },
  };
}

/** Resolves with the promise's rejection; fails the test if it fulfils. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('at most inFlightBytesMax bytes are granted and unanswered, but one request always fits', async () => {
  const links = scheduler({ inFlightBytesMax: 100 });
  const log = recorder();
  void links.acquire('a', normal, 500).then(log.take('a'));
  void links.acquire('b', normal, 10).then(log.take('b'));
  await settle();
  assert.equal(log.order, ['a'], 'a request larger than the bound goes alone');
  assert.is(links.inFlightBytes, 500);
  log.release('a');
  await settle();
  assert.equal(log.order, ['a', 'b']);
});

test('a higher priority goes first while it waits', async () => {
  const links = scheduler({ inFlightBytesMax: 10 });
  const log = recorder();
  void links.acquire('first', normal, 10).then(log.take('first'));
  await settle();
  void links.acquire('low', normal, 10).then(log.take('low'));
  void links.acquire('high', { priority: 5, anytime: false }, 10).then(log.take('high'));
  await settle();
  log.release('first');
  await settle();
  assert.equal(log.order, ['first', 'high']);
  log.release('high');
  await settle();
  assert.equal(log.order, ['first', 'high', 'low']);
});

test('a backlogged partition does not starve one that has just a little new data', async () => {
  const links = scheduler({ inFlightBytesMax: 100 });
  const log = recorder();
  // "backlog" always has another 100-byte batch ready; "live" has one small batch now and then.
  const backlogTurns = async (turns: number) => {
    for (let turn = 0; turn < turns; turn += 1) {
      const grant = await links.acquire('backlog', normal, 100);
      log.order.push('backlog');
      await settle();
      grant.release();
    }
  };
  const running = backlogTurns(20);
  await settle();
  await settle();
  const liveGranted = links.acquire('live', normal, 10).then((grant) => { log.order.push('live'); grant.release(); });
  await Promise.all([running, liveGranted]);
  const liveTurn = log.order.indexOf('live');
  const backlogBefore = log.order.slice(0, liveTurn).length;
  assert.ok(backlogBefore <= 3, `live data waited behind ${backlogBefore} backlog batches (order: ${log.order.join(' ')})`);
});

test('within a level the link is shared by bytes: two backlogs alternate', async () => {
  const links = scheduler({ inFlightBytesMax: 1 });
  const order: string[] = [];
  const drain = async (key: string, turns: number) => {
    for (let turn = 0; turn < turns; turn += 1) {
      const grant = await links.acquire(key, normal, 100);
      order.push(key);
      await settle();
      grant.release();
    }
  };
  await Promise.all([drain('a', 5), drain('b', 5)]);
  for (let index = 2; index < order.length; index += 1) {
    assert.ok(order.slice(index - 2, index + 1).some((key) => key !== order[index]), `no sender gets three turns in a row: ${order.join(' ')}`);
  }
});

test('outside the sync windows only "anytime" senders get turns; opening wakes the others', async () => {
  let open = false;
  const links = scheduler({ windowOpen: () => open });
  const log = recorder();
  void links.acquire('bulk', normal, 10).then(log.take('bulk'));
  void links.acquire('alarm', { priority: 0, anytime: true }, 10).then(log.take('alarm'));
  await settle();
  assert.equal(log.order, ['alarm']);
  assert.is(links.waiting, 1);
  open = true;
  links.wake();
  await settle();
  assert.equal(log.order, ['alarm', 'bulk']);
});

test('an aborted wait rejects and frees the turn; close rejects every waiter', async () => {
  const links = scheduler({ inFlightBytesMax: 10 });
  const first = await links.acquire('a', normal, 10);
  const abort = new AbortController();
  const waiting = rejectionOf(links.acquire('b', normal, 10, abort.signal));
  abort.abort(new Error('partition removed'));
  assert.match(String(await waiting), /partition removed/);
  assert.is(links.waiting, 0);
  const another = rejectionOf(links.acquire('c', normal, 10));
  links.close();
  assert.match(String(await another), /stopping/);
  first.release();
});

test('the bandwidth cap delays turns', async () => {
  let nowMs = 0;
  const shaper = new BandwidthShaper(1000, () => nowMs);
  const links = new LinkScheduler({ shaper, inFlightBytesMax: 10_000, windowOpen: () => true });
  (await links.acquire('a', normal, 1044)).release();
  assert.is(shaper.delayMs(), 20, 'the first request went at once and left 20 ms of debt');
  let granted = false;
  const next = links.acquire('a', normal, 10).then((grant) => { granted = true; grant.release(); });
  await settle();
  assert.not.ok(granted, 'the next one waits for the debt');
  nowMs += 20;
  await next;
  assert.ok(granted);
  links.close();
});

test.run();
