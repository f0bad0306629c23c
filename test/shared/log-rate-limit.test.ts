// A warning repeated under pressure is written once per interval and kind, and the next line
// says how many were left out; other kinds are written at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { createLogger } from '../../shared/logger.ts';
import { RepeatedWarnings } from '../../shared/log-rate-limit.ts';

const INTERVAL_MS = 10_000;

function capture(): { lines: Record<string, unknown>[]; warnings: (clock: () => number) => RepeatedWarnings } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const logger = createLogger({ destination });
  return { lines, warnings: (clock) => new RepeatedWarnings(logger, INTERVAL_MS, clock) };
}

test('a thousand refusals within the interval are one line; the next line after it counts the rest', () => {
  const { lines, warnings } = capture();
  let now = 1_000_000;
  const repeated = warnings(() => now);
  for (let index = 0; index < 1_000; index++) {
    repeated.warn('refused:limit', { listener: 'listeners.kafka' }, 'listeners.kafka: connection refused');
    now += 1;
  }
  assert.is(lines.length, 1, 'one line for the first');
  assert.is(lines[0]!.msg, 'listeners.kafka: connection refused');
  assert.is(lines[0]!.suppressed, undefined);
  now = 1_000_000 + INTERVAL_MS;
  repeated.warn('refused:limit', { listener: 'listeners.kafka' }, 'listeners.kafka: connection refused');
  assert.is(lines.length, 2, 'the next one once the interval has passed');
  assert.is(lines[1]!.suppressed, 999, 'with the count of those left out');
  assert.is(lines[1]!.suppressedOverMs, INTERVAL_MS);
});

test('each kind has its own interval', () => {
  const { lines, warnings } = capture();
  const repeated = warnings(() => 0);
  repeated.warn('refused:limit', {}, 'limit');
  repeated.warn('closed:slow-request', {}, 'slow');
  repeated.warn('refused:limit', {}, 'limit');
  assert.equal(lines.map((line) => line.msg), ['limit', 'slow']);
});

test('error() is rate-limited like warn() and written at the error level', () => {
  const { lines, warnings } = capture();
  let now = 0;
  const repeated = warnings(() => now);
  for (let index = 0; index < 50; index++) repeated.error('append-failed:STORAGE_DISK_FULL', {}, 'append failed');
  assert.is(lines.length, 1);
  assert.is(lines[0]!.level, 50, 'pino\'s error level');
  now = INTERVAL_MS;
  repeated.error('append-failed:STORAGE_DISK_FULL', {}, 'append failed');
  assert.is(lines[1]!.suppressed, 49);
});

test.run();
