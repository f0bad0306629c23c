// `tributary consume --topic T`: prints a topic's records, as Kafka's console consumer
// does, with the payload decoded from CBOR or SenML into JSON. Without --group it reads
// partitions directly and leaves no trace on the broker; with --group it joins the
// consumer group and commits what it printed, so `tributary groups describe` shows the lag.
import { once } from 'node:events';
import type { Consumer } from '@platformatic/kafka';
import { TributaryError } from '../../shared/errors.ts';
import { createConsumer, requireTopic, withAdmin, type TopicLayout } from './kafka-admin-client.ts';
import { DEFAULT_BOOTSTRAP, optionInvalid, parseBootstrap } from './ops/bootstrap.ts';
import { integerOption, offsetOption, parseCommandArgs, timestampOption } from './ops/command-args.ts';
import { explainKafkaError } from './ops/kafka-errors.ts';
import { PartitionReader, type StartPosition } from './ops/partition-reader.ts';
import { ProgressBar } from './ops/progress-bar.ts';
import { DECODE_MODES, parseDecodeMode, recordToJson, valueLine, type DecodeMode, type RecordData } from '../../shared/record-view.ts';

const USAGE = `usage: tributary consume --topic NAME [options]

Prints records, one a line, until Ctrl-C, --max-messages, --exit-at-end or --timeout-ms.

where to start (without --group; default: new records only):
  --from-beginning         the oldest record still in the log
  --offset N               offset N (of --partition, or of every partition)
  --from-timestamp TIME    the first record at or after TIME (ms since 1970, or ISO 8601)
  --partition N            read partition N only

as a consumer group:
  --group NAME             join the group, start at its committed offsets (or as
                           --from-beginning says when it has none), commit what is printed

output:
  --decode MODE            ${DECODE_MODES.join('|')} (default auto: CBOR, SenML and JSON
                           are recognised and shown as JSON, text as it is)
  --format value|json      the value alone (default), or each record as JSON with
                           partition, offset, time, key and headers
  --max-messages N         stop after N records
  --exit-at-end            stop at the end of the log as it was at the start
  --timeout-ms MS          stop when no record arrives for MS milliseconds
  --bootstrap HOST:PORT    the broker (default ${DEFAULT_BOOTSTRAP})`;

const OPTIONS = {
  bootstrap: { type: 'string', short: 'b', default: DEFAULT_BOOTSTRAP },
  topic: { type: 'string', short: 't' },
  group: { type: 'string', short: 'g' },
  partition: { type: 'string', short: 'p' },
  offset: { type: 'string', short: 'o' },
  'from-beginning': { type: 'boolean' },
  'from-timestamp': { type: 'string' },
  decode: { type: 'string', short: 'd', default: 'auto' },
  format: { type: 'string', short: 'f', default: 'value' },
  'max-messages': { type: 'string', short: 'n' },
  'exit-at-end': { type: 'boolean', short: 'e' },
  'timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A group member commits at least this often (in records), so that a crash repeats little. */
const COMMIT_EVERY_RECORDS = 500;
/** Group session timeout: how long the coordinator waits before it gives this member's partitions away. */
const GROUP_SESSION_TIMEOUT_MS = 10_000;
const GROUP_HEARTBEAT_INTERVAL_MS = 1_000;
/** The group id given to the client when reading without a group; it never joins, so no group appears. */
const READER_CLIENT_GROUP = 'tributary-cli-reader';

interface OutputSettings {
  decode: DecodeMode;
  format: 'value' | 'json';
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 0) throw optionInvalid(`unexpected argument "${positionals[0]}"`);
  if (values.topic === undefined) throw optionInvalid('--topic NAME is required');
  const bootstrap = parseBootstrap(values.bootstrap);
  const output: OutputSettings = { decode: parseDecodeMode(values.decode), format: parseFormat(values.format) };
  const maxMessages = integerOption('max-messages', values['max-messages'], 1);
  const timeoutMs = integerOption('timeout-ms', values['timeout-ms'], 1);
  const partition = integerOption('partition', values.partition, 0);
  const offset = offsetOption('offset', values.offset);
  const fromTimestamp = timestampOption('from-timestamp', values['from-timestamp']);
  const starts = [values['from-beginning'] ? '--from-beginning' : '', offset !== undefined ? '--offset' : '', fromTimestamp !== undefined ? '--from-timestamp' : ''].filter((name) => name !== '');
  if (starts.length > 1) throw optionInvalid(`${starts.join(' and ')} cannot be used together`);
  if (values.group !== undefined && (partition !== undefined || offset !== undefined || fromTimestamp !== undefined)) {
    throw optionInvalid('--group starts at the group\'s committed offsets; --partition, --offset and --from-timestamp are for reading without a group (move a group with tributary groups reset-offsets)');
  }
  const topicName = values.topic;
  const topic = await withAdmin(bootstrap, `consuming from ${topicName}`, (admin) => requireTopic(admin, topicName));
  if (partition !== undefined && partition >= topic.partitions) {
    throw new TributaryError('PARTITION_NOT_FOUND', `topic ${topic.name} has partitions 0–${topic.partitions - 1}; there is no partition ${partition}`, { topic: topic.name, partition });
  }

  const start: StartPosition = values['from-beginning'] ? { kind: 'earliest' }
    : offset !== undefined ? { kind: 'offset', offset }
    : fromTimestamp !== undefined ? { kind: 'timestamp', timestamp: fromTimestamp }
    : { kind: 'latest' };
  const partitions = partition !== undefined ? [partition] : Array.from({ length: topic.partitions }, (_, index) => index);
  const consumer = createConsumer(bootstrap, values.group ?? READER_CLIENT_GROUP);
  const session = new ConsumeSession(output, maxMessages, timeoutMs, values['exit-at-end'] === true);
  try {
    if (values.group === undefined) await session.readWithoutGroup(consumer, topic, partitions, start);
    else await session.readAsGroup(consumer, topic, values['from-beginning'] === true);
  } catch (error) {
    if (!session.outputClosed) throw explainKafkaError(error, bootstrap, `consuming from ${topic.name}`);
  } finally {
    session.progress.finish();
    await consumer.close(true).catch(() => undefined);
  }
  process.stderr.write(`consumed ${session.count} record${session.count === 1 ? '' : 's'}${session.decodeErrors > 0 ? `; ${session.decodeErrors} could not be decoded as ${output.decode}` : ''}\n`);
  return 0;
}

function parseFormat(text: string): 'value' | 'json' {
  if (text === 'value' || text === 'json') return text;
  throw optionInvalid(`--format must be value or json, not "${text}"`);
}

type Stop = 'done' | 'idle' | 'signal';

class ConsumeSession {
  readonly progress: ProgressBar;
  count = 0;
  decodeErrors = 0;
  /** The reader of standard output went away (EPIPE). */
  outputClosed = false;
  readonly #output: OutputSettings;
  readonly #maxMessages: number | undefined;
  readonly #timeoutMs: number | undefined;
  readonly #exitAtEnd: boolean;
  readonly #stopped: Promise<Stop>;

  constructor(output: OutputSettings, maxMessages: number | undefined, timeoutMs: number | undefined, exitAtEnd: boolean) {
    this.#output = output;
    this.#maxMessages = maxMessages;
    this.#timeoutMs = timeoutMs;
    this.#exitAtEnd = exitAtEnd;
    // Records on a terminal speak for themselves; the bar is for output going to a file or pipe.
    this.progress = new ProgressBar({ label: 'consuming', total: maxMessages, unit: 'records', enabled: process.stdout.isTTY !== true });
    // Ctrl-C ends the read cleanly: a group member commits and leaves the group. So does a
    // reader that closes the pipe (| head); records already written into the pipe count
    // as printed, as with Kafka's console consumer.
    this.#stopped = new Promise((resolve) => {
      process.once('SIGINT', () => resolve('signal'));
      process.once('SIGTERM', () => resolve('signal'));
      process.stdout.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        this.outputClosed = true;
        resolve('signal');
      });
    });
  }

  async readWithoutGroup(consumer: Consumer, topic: TopicLayout, partitions: number[], start: StartPosition): Promise<void> {
    const reader = new PartitionReader(consumer, topic, partitions);
    await reader.seek(start);
    const ends = new Map(reader.ends);
    const atEnd = (): boolean => [...ends].every(([index, end]) => (reader.positions.get(index) ?? 0n) >= end);
    if (this.#exitAtEnd) {
      const remaining = [...ends].reduce((sum, [index, end]) => sum + Number(end - (reader.positions.get(index) ?? end)), 0);
      if (this.#maxMessages === undefined) this.progress.setTotal(remaining);
      if (atEnd()) return;
    }
    const records = reader.records();
    try {
      for (;;) {
        const next = await this.#next(records);
        if (next === undefined) return;
        await this.#print(next);
        if (this.#finished() || (this.#exitAtEnd && atEnd())) return;
      }
    } finally {
      // The generator may be waiting on a fetch that the closing client will fail; nobody needs that answer.
      void records.return(undefined).catch(() => undefined);
    }
  }

  async readAsGroup(consumer: Consumer, topic: TopicLayout, fromBeginning: boolean): Promise<void> {
    const partitions = Array.from({ length: topic.partitions }, (_, index) => index);
    // Where the group will start and where the log ends now, for --exit-at-end and the progress bar.
    const reached = new Map<number, bigint>();
    const ends = new Map<number, bigint>();
    if (this.#exitAtEnd) {
      const [committed, earliest, latest] = await Promise.all([
        consumer.listCommittedOffsets({ topics: [{ topic: topic.name, partitions }] }),
        consumer.listOffsets({ topics: [topic.name], timestamp: -2n }),
        consumer.listOffsets({ topics: [topic.name], timestamp: -1n }),
      ]);
      for (const partition of partitions) {
        const end = latest.get(topic.name)?.[partition] ?? 0n;
        const start = committed.get(topic.name)?.[partition] ?? -1n;
        ends.set(partition, end);
        reached.set(partition, start >= 0n ? start : fromBeginning ? (earliest.get(topic.name)?.[partition] ?? 0n) : end);
      }
      if (this.#maxMessages === undefined) this.progress.setTotal(partitions.reduce((sum, partition) => sum + Number(ends.get(partition)! - reached.get(partition)!), 0));
    }
    const caughtUp = (): boolean => partitions.every((partition) => reached.get(partition)! >= ends.get(partition)!);
    if (this.#exitAtEnd && caughtUp()) return;
    const stream = await consumer.consume({
      topics: [topic.name],
      mode: 'committed',
      fallbackMode: fromBeginning ? 'earliest' : 'latest',
      autocommit: false,
      sessionTimeout: GROUP_SESSION_TIMEOUT_MS,
      heartbeatInterval: GROUP_HEARTBEAT_INTERVAL_MS,
    });
    const positions = new Map<number, { offset: bigint; leaderEpoch: number }>();
    let uncommitted = 0;
    const commit = async (): Promise<void> => {
      if (uncommitted === 0) return;
      uncommitted = 0;
      await consumer.commit({ offsets: [...positions].map(([partition, position]) => ({ topic: topic.name, partition, offset: position.offset, leaderEpoch: position.leaderEpoch })) });
    };
    const iterator = stream[Symbol.asyncIterator]();
    try {
      for (;;) {
        const message = await this.#next(iterator);
        if (message === undefined) return;
        await this.#print({ topic: message.topic, partition: message.partition, offset: message.offset, timestamp: message.timestamp, key: message.key ?? null, value: message.value ?? null, headers: message.headerEntries.map(([key, value]) => ({ key, value })) });
        // The committed offset is the next one to read (Kafka's convention).
        positions.set(message.partition, { offset: message.offset + 1n, leaderEpoch: message.leaderEpoch });
        reached.set(message.partition, message.offset + 1n);
        uncommitted += 1;
        if (uncommitted >= COMMIT_EVERY_RECORDS) await commit();
        if (this.#finished() || (this.#exitAtEnd && caughtUp())) return;
      }
    } finally {
      await commit();
      await stream.close().catch(() => undefined);
    }
  }

  /** The next item, or undefined when the read should stop (a signal, or --timeout-ms without records). */
  async #next<T>(iterator: AsyncIterator<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const idle = this.#timeoutMs === undefined ? undefined : new Promise<Stop>((resolve) => { timer = setTimeout(() => resolve('idle'), this.#timeoutMs); });
    try {
      const next = iterator.next();
      // A fetch still running when the read stops fails as the client closes; that is expected.
      next.catch(() => undefined);
      const winner = await Promise.race([next, this.#stopped, ...(idle ? [idle] : [])]);
      if (typeof winner === 'string') return undefined;
      return winner.done ? undefined : winner.value;
    } finally {
      clearTimeout(timer);
    }
  }

  #finished(): boolean {
    return this.#maxMessages !== undefined && this.count >= this.#maxMessages;
  }

  async #print(record: RecordData): Promise<void> {
    if (this.outputClosed) return;
    this.count += 1;
    this.progress.advance();
    let line: Uint8Array | string;
    if (this.#output.format === 'json') {
      const json = recordToJson(record, this.#output.decode);
      if (json.decodeError !== undefined) this.#reportDecodeError(record, json.decodeError);
      line = JSON.stringify(json);
    } else {
      const shown = valueLine(record, this.#output.decode);
      if (shown.error !== undefined) {
        this.#reportDecodeError(record, shown.error);
        return;
      }
      line = shown.line;
    }
    const written = typeof line === 'string' ? process.stdout.write(`${line}\n`) : process.stdout.write(Buffer.concat([line, Buffer.from('\n')]));
    // Respect a slow reader of stdout (a pipe into less) instead of buffering without bound.
    if (!written) await once(process.stdout, 'drain').catch(() => undefined);
  }

  #reportDecodeError(record: RecordData, message: string): void {
    this.decodeErrors += 1;
    this.progress.finish();
    process.stderr.write(`partition ${record.partition} offset ${record.offset}: ${message}\n`);
  }
}
