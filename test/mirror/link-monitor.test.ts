import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LinkMonitor } from '../../mirror/link-monitor.ts';

function monitor() {
  let nowMs = 0;
  const events: string[] = [];
  const link = new LinkMonitor({
    backoffMinMs: 100,
    backoffMaxMs: 1000,
    onDown: () => events.push('reset'),
    onStateChange: (state, previous) => events.push(`${previous}->${state}`),
    now: () => nowMs,
    random: () => 0.5,
  });
  return { link, events, advance: (ms: number) => { nowMs += ms; } };
}

test('the first failure takes the link down and drops the connections; failures of the same episode add nothing', () => {
  const { link, events } = monitor();
  assert.is(link.state, 'connecting');
  assert.ok(link.failed('ECONNRESET'));
  assert.not.ok(link.failed('ECONNRESET from another partition'));
  assert.equal(events, ['reset', 'connecting->down']);
  assert.is(link.retryInMs(), 100);
  assert.is(link.errors, 2);
  assert.is(link.lastError?.message, 'ECONNRESET from another partition');
});

test('each failed attempt doubles the wait up to the maximum; a success resets it and counts a reconnect', () => {
  const { link, events, advance } = monitor();
  const waits: number[] = [];
  for (let attempt = 0; attempt < 6; attempt += 1) {
    link.failed('refused');
    waits.push(link.retryInMs());
    advance(link.retryInMs());
  }
  assert.equal(waits, [100, 200, 400, 800, 1000, 1000]);
  assert.is(events.filter((event) => event === 'reset').length, 6, 'connections dropped before every attempt');
  link.succeeded();
  assert.is(link.state, 'up');
  assert.is(link.reconnects, 1);
  assert.is(link.retryInMs(), 0);
  link.failed('again');
  assert.is(link.retryInMs(), 100, 'the wait starts small again');
});

test('a request\'s connection failure takes the link down only when the probe finds no broker answering; failures meanwhile share one probe', async () => {
  let probes = 0;
  let answering = true;
  const events: string[] = [];
  const link = new LinkMonitor({
    backoffMinMs: 100,
    backoffMaxMs: 1000,
    onDown: () => events.push('reset'),
    probe: async () => {
      probes += 1;
      await new Promise((resolve) => setImmediate(resolve));
      if (!answering) throw new Error('ECONNREFUSED');
    },
    random: () => 0.5,
  });
  link.succeeded();
  assert.equal(await Promise.all([link.connectionFailed('leader gone'), link.connectionFailed('leader gone too')]), ['up', 'up']);
  assert.is(probes, 1, 'one probe for both');
  assert.is(link.state, 'up');
  assert.equal(events, [], 'no connection dropped');
  assert.is(link.errors, 2);

  answering = false;
  assert.equal(await Promise.all([link.connectionFailed('cut'), link.connectionFailed('cut too')]), ['went-down', 'down']);
  assert.is(probes, 2);
  assert.is(link.state, 'down');
  assert.equal(events, ['reset']);
  assert.is(await link.connectionFailed('while waiting to retry'), 'down');
  assert.is(probes, 2, 'no probe while the link waits to retry');
});

test('other errors are counted without touching the link state', () => {
  const { link } = monitor();
  link.succeeded();
  link.recordError('MESSAGE_TOO_LARGE');
  assert.is(link.state, 'up');
  assert.is(link.errors, 1);
});

test.run();
