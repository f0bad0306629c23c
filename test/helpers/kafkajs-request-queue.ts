// kafkajs 2.2.4 (its last release) re-arms a timer after every response even when no
// request waits and nothing is throttled: `throttledUntil` starts at -1, so the delay is
// minus the time since 1970, which Node.js 24 reports as a TimeoutNegativeWarning and runs
// after 1 ms, again and again, for as long as a connection is open (kafkajs issues 1704
// and 1751, unreleased fix in pull request 1768). With nothing pending and no throttle
// there is nothing to check later: a request queued afterwards schedules its own check.
// Imported for its effect by test/edge/kafka/clients/support/kafkajs.ts, through which the tests reach kafkajs.
import { createRequire } from 'node:module';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const RequestQueueClass = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };
const schedule = RequestQueueClass.prototype.scheduleCheckPendingRequests;
if (typeof schedule !== 'function') throw new Error('assertion failed: kafkajs RequestQueue.scheduleCheckPendingRequests exists (a kafkajs upgrade changed it; look again whether this fix is still needed)');

RequestQueueClass.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueue): void {
  if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
  schedule.call(this);
};
