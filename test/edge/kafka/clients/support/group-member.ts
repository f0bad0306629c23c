// One consumer-group member in a process of its own, so that a test can SIGKILL it the
// way a crashed application dies: no LeaveGroup, no last commit; the broker must notice
// by the session timeout alone.
//
//   node group-member.ts '{"client":"kafkajs","port":9092,"groupId":"g","topic":"t","sessionTimeoutMs":6000}'
//
// It writes one JSON line per event on standard output:
//   {"event":"assigned","partitions":[0,3]}      after every join (the whole current assignment)
//   {"event":"record","partition":0,"offset":"5","key":"k","value":"v"}
import { Consumer as PlatformaticConsumer, stringDeserializers } from '@platformatic/kafka';
import { kafkajsClient } from './kafkajs.ts';

export interface GroupMemberOptions {
  client: 'kafkajs' | 'platformatic';
  port: number;
  groupId: string;
  topic: string;
  sessionTimeoutMs: number;
}

/** Heartbeats this often; well inside the session timeout so only a dead member expires. */
const HEARTBEAT_INTERVAL_MS = 500;
/** How long the coordinator waits for members to rejoin; short, as the test members rejoin at once. */
const REBALANCE_TIMEOUT_MS = 20_000;

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function runKafkajs(options: GroupMemberOptions): Promise<void> {
  const kafka = kafkajsClient(options.port, `member-${process.pid}`);
  const consumer = kafka.consumer({ groupId: options.groupId, sessionTimeout: options.sessionTimeoutMs, heartbeatInterval: HEARTBEAT_INTERVAL_MS, rebalanceTimeout: REBALANCE_TIMEOUT_MS, maxWaitTimeInMs: 200 });
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    emit({ event: 'assigned', partitions: [...(event.payload.memberAssignment[options.topic] ?? [])].sort((a, b) => a - b) });
  });
  consumer.on(consumer.events.CRASH, (event) => emit({ event: 'crash', error: String(event.payload.error) }));
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      emit({ event: 'record', partition, offset: message.offset, key: message.key?.toString(), value: message.value?.toString(), headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([key, value]) => [key, String(value)])) });
    },
  });
}

async function runPlatformatic(options: GroupMemberOptions): Promise<void> {
  const consumer = new PlatformaticConsumer({
    clientId: `member-${process.pid}`,
    groupId: options.groupId,
    bootstrapBrokers: [`127.0.0.1:${options.port}`],
    deserializers: stringDeserializers,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    rebalanceTimeout: REBALANCE_TIMEOUT_MS,
    maxWaitTime: 200,
  });
  consumer.on('consumer:group:join', (payload: { assignments?: { topic: string; partitions: number[] }[] }) => {
    const mine = (payload.assignments ?? []).filter((assignment) => assignment.topic === options.topic).flatMap((assignment) => assignment.partitions);
    emit({ event: 'assigned', partitions: [...mine].sort((a, b) => a - b) });
  });
  const stream = await consumer.consume({ topics: [options.topic], mode: 'committed', fallbackMode: 'earliest', autocommit: 100 });
  stream.on('error', (error) => emit({ event: 'crash', error: String(error) }));
  for await (const message of stream) {
    emit({ event: 'record', partition: message.partition, offset: String(message.offset), key: message.key, value: message.value, headers: Object.fromEntries(message.headers) });
  }
}

const options = JSON.parse(process.argv[2] ?? '{}') as GroupMemberOptions;
if (options.client === 'kafkajs') await runKafkajs(options);
else if (options.client === 'platformatic') await runPlatformatic(options);
else throw new Error(`unknown client ${JSON.stringify(options.client)}; expected kafkajs or platformatic`);
