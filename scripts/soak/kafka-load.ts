// The soak's Kafka side, in a process of its own so that its clients' CPU and memory are not
// the orchestrator's: an idempotent producer (acks=all) writing numbered records at a steady
// rate, commands produced for the simulated devices (delivered to them by a reverse route),
// and consumer groups reading the device readings and the produced records, one member of
// each group replaced now and then so that the groups rebalance all through the run.
//
//   node scripts/soak/kafka-load.ts '{"port":9092,"reportPath":"kafka.json",...}'
//
// Progress is one JSON line per interval on standard output; on SIGTERM it stops, waits for
// what is in flight, writes its report (which record numbers were acknowledged) and exits 0.
import { writeFileSync } from 'node:fs';
import { Consumer, Producer, type Message, type MessageToProduce } from '@platformatic/kafka';
import { SequenceSet, type SequenceRange } from '../../firmware-sim/sim/sequence-set.ts';
import { encodeCbor } from '../../shared/payloads.ts';

export interface KafkaLoadOptions {
  port: number;
  /** Topic of the numbered records. */
  topic: string;
  recordsPerSecond: number;
  /** Topic of the commands, and the device ids they are addressed to (the record key). */
  commandTopic: string;
  commandsPerSecond: number;
  deviceIds: string[];
  groups: { groupId: string; topics: string[]; members: number }[];
  /** A member of each group is replaced this often. */
  memberChurnMs: number;
  progressMs: number;
  reportPath: string;
}

export interface KafkaLoadReport {
  /** Records handed to the producer, numbered from 1. */
  sent: number;
  /** Numbers of the records the broker acknowledged; the value of record n is `recordValue(n)`. */
  acknowledged: SequenceRange[];
  acknowledgedCount: number;
  failed: number;
  commandsSent: number;
  commandsFailed: number;
  /** Records read per group, and how many members were replaced. */
  groups: Record<string, { consumed: number; membersReplaced: number }>;
  /** Client errors by message, counted. */
  errors: Record<string, number>;
}

/** Between two sends: the rate is spread over this many sends a second. */
const SENDS_PER_SECOND = 4;
/** Padding that makes a record about the size of a small application event. */
const VALUE_PADDING = 'x'.repeat(80);
/** Keys the records are spread over; records of one key stay in order in one partition. */
const KEYS = 16;
/** Consumers wait this long for data in a fetch: short enough to stay live, long enough not to spin. */
const FETCH_MAX_WAIT_MS = 500;
/** Above Kafka's 6 s minimum, well below the 30 s rebalance bound of the clients. */
const SESSION_TIMEOUT_MS = 10_000;
/** Distinct error messages kept in the report; the rest are counted under one line. */
const ERROR_KINDS_MAX = 50;

/** The value of record number `sequence`: the checker finds records by it on the central. */
export function recordValue(sequence: number): string {
  return `soak-${sequence}-${VALUE_PADDING}`;
}

/** The record number a value carries, or undefined for a value not made by recordValue. */
export function sequenceOfValue(value: string): number | undefined {
  const match = /^soak-(\d+)-/.exec(value);
  return match === null ? undefined : Number(match[1]);
}

class ErrorCounts {
  readonly counts: Record<string, number> = {};

  add(error: unknown): void {
    let message = error instanceof Error ? error.message : String(error);
    if (!(message in this.counts) && Object.keys(this.counts).length >= ERROR_KINDS_MAX) message = '(other errors)';
    this.counts[message] = (this.counts[message] ?? 0) + 1;
  }
}

class GroupMembers {
  readonly groupId: string;
  consumed = 0;
  membersReplaced = 0;
  readonly #options: KafkaLoadOptions;
  readonly #topics: string[];
  readonly #errors: ErrorCounts;
  readonly #members: { consumer: Consumer; stopped: Promise<void> }[] = [];
  #memberCount = 0;

  constructor(options: KafkaLoadOptions, group: KafkaLoadOptions['groups'][number], errors: ErrorCounts) {
    this.groupId = group.groupId;
    this.#options = options;
    this.#topics = group.topics;
    this.#errors = errors;
    for (let index = 0; index < group.members; index++) this.#members.push(this.#startMember());
  }

  #startMember(): { consumer: Consumer; stopped: Promise<void> } {
    this.#memberCount += 1;
    const consumer = new Consumer({
      clientId: `${this.groupId}-${this.#memberCount}`,
      groupId: this.groupId,
      bootstrapBrokers: [`127.0.0.1:${this.#options.port}`],
      maxWaitTime: FETCH_MAX_WAIT_MS,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: 1_000,
    });
    const stopped = (async () => {
      try {
        const stream = await consumer.consume({ topics: this.#topics, mode: 'committed', fallbackMode: 'earliest', autocommit: 1_000 });
        stream.on('error', (error) => this.#errors.add(error));
        stream.on('data', (_message: Message) => { this.consumed += 1; });
        await new Promise<void>((resolve) => stream.once('close', () => resolve()));
      } catch (error) {
        this.#errors.add(error);
      }
    })();
    return { consumer, stopped };
  }

  /** Replaces the oldest member: it leaves the group cleanly and a new one joins. */
  async replaceOne(): Promise<void> {
    const oldest = this.#members.shift();
    if (oldest === undefined) return;
    await oldest.consumer.close(true).catch((error: unknown) => this.#errors.add(error));
    this.#members.push(this.#startMember());
    this.membersReplaced += 1;
  }

  async close(): Promise<void> {
    for (const member of this.#members.splice(0)) await member.consumer.close(true).catch((error: unknown) => this.#errors.add(error));
  }
}

async function main(options: KafkaLoadOptions): Promise<void> {
  const errors = new ErrorCounts();
  const acknowledged = new SequenceSet();
  const counters = { sent: 0, failed: 0, commandsSent: 0, commandsFailed: 0 };
  const producer = new Producer({ clientId: 'soak-producer', bootstrapBrokers: [`127.0.0.1:${options.port}`], idempotent: true, acks: -1, autocreateTopics: false, retries: 10, retryDelay: 500 });
  const groups = options.groups.map((group) => new GroupMembers(options, group, errors));
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  const track = (sending: Promise<void>): void => {
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  };

  const sendRecords = (count: number): void => {
    const first = counters.sent + 1;
    counters.sent += count;
    const messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[] = [];
    for (let sequence = first; sequence < first + count; sequence++) {
      messages.push({ topic: options.topic, key: Buffer.from(`key-${sequence % KEYS}`), value: Buffer.from(recordValue(sequence)) });
    }
    track(producer.send({ messages }).then(
      () => { for (let sequence = first; sequence < first + count; sequence++) acknowledged.add(sequence); },
      (error: unknown) => { counters.failed += count; errors.add(error); },
    ));
  };
  const sendCommand = (): void => {
    const device = options.deviceIds[Math.floor(Math.random() * options.deviceIds.length)]!;
    counters.commandsSent += 1;
    const value = encodeCbor({ command: 'report', issuedAtMs: Date.now() });
    track(producer.send({ messages: [{ topic: options.commandTopic, key: Buffer.from(device), value }] }).then(
      () => undefined,
      (error: unknown) => { counters.commandsFailed += 1; errors.add(error); },
    ));
  };

  // Whole records per send, the remainder carried so the rate holds on average.
  let owed = 0;
  let commandsOwed = 0;
  const pacer = setInterval(() => {
    if (stopping) return;
    owed += options.recordsPerSecond / SENDS_PER_SECOND;
    commandsOwed += options.commandsPerSecond / SENDS_PER_SECOND;
    const count = Math.floor(owed);
    owed -= count;
    if (count > 0) sendRecords(count);
    for (; commandsOwed >= 1; commandsOwed -= 1) sendCommand();
  }, 1000 / SENDS_PER_SECOND);
  let churnIndex = 0;
  const churn = setInterval(() => {
    if (stopping || groups.length === 0) return;
    void groups[churnIndex++ % groups.length]!.replaceOne();
  }, options.memberChurnMs);
  const progress = setInterval(() => {
    process.stdout.write(`${JSON.stringify({ event: 'progress', sent: counters.sent, acknowledged: acknowledged.size, failed: counters.failed, inFlight: inFlight.size, consumed: Object.fromEntries(groups.map((group) => [group.groupId, group.consumed])) })}\n`);
  }, options.progressMs);

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  stopping = true;
  clearInterval(pacer);
  clearInterval(churn);
  clearInterval(progress);
  await Promise.allSettled([...inFlight]);
  await producer.close().catch((error: unknown) => errors.add(error));
  for (const group of groups) await group.close();
  const report: KafkaLoadReport = {
    ...counters,
    acknowledged: acknowledged.ranges(),
    acknowledgedCount: acknowledged.size,
    groups: Object.fromEntries(groups.map((group) => [group.groupId, { consumed: group.consumed, membersReplaced: group.membersReplaced }])),
    errors: errors.counts,
  };
  writeFileSync(options.reportPath, `${JSON.stringify(report)}\n`);
  process.stdout.write(`${JSON.stringify({ event: 'done', sent: report.sent, acknowledged: report.acknowledgedCount, failed: report.failed })}\n`);
}

if (import.meta.main) {
  await main(JSON.parse(process.argv[2] ?? '{}') as KafkaLoadOptions);
  // Client sockets and timers closed or not, the report is written: this role is done.
  process.exit(0);
}
