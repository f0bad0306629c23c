// A short produce-and-consume through one kafkajs client, for tests about how a client
// reaches the broker (TLS, SASL) rather than about the records.
import type { kafkajsClient } from './kafkajs.ts';

/** Produces `values` to `topic` (new to this test) and reads them back from its beginning. */
export async function roundTrip(kafka: ReturnType<typeof kafkajsClient>, topic: string, values: readonly string[] = ['a', 'b', 'c']): Promise<string[]> {
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `${topic}-readers`, maxWaitTimeInMs: 100 });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const read: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => { read.push(message.value!.toString()); if (read.length === values.length) resolve(); } }).catch(reject);
    });
    return read;
  } finally {
    await producer.disconnect();
    await consumer.disconnect();
  }
}
