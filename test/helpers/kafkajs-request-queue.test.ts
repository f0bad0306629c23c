// kafkajs as the tests use it sets no timer with a negative delay (Node.js 24 warns about
// it), which also means its request queue no longer re-checks an empty queue every millisecond.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from './daemon.ts';
import { kafkajsClient } from '../edge/kafka/clients/support/kafkajs.ts';

test('producing with kafkajs prints no TimeoutNegativeWarning', async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => { warnings.push(`${warning.name}: ${warning.message}`); };
  process.on('warning', onWarning);
  const daemon = await Daemon.start();
  const kafka = kafkajsClient(daemon.ports.kafka!, 'timers-test');
  const producer = kafka.producer();
  try {
    await producer.connect();
    for (let round = 0; round < 5; round++) await producer.send({ topic: 'timers', messages: [{ key: 'k', value: `v${round}` }] });
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(warnings.filter((warning) => warning.startsWith('TimeoutNegativeWarning')), []);
  } finally {
    process.off('warning', onWarning);
    await producer.disconnect();
    await daemon.cleanup();
  }
});

test.run();
