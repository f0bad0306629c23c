// `tributary produce --topic T`: writes records to a topic over the Kafka protocol, one
// per line of standard input or one per --value, as Kafka's console producer does. Values
// may be given as JSON and encoded as CBOR or SenML on the way, which is how a device
// would send them.
import { fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { MessageToProduce } from '@platformatic/kafka';
import { TributaryError } from '../../shared/errors.ts';
import { encodePayload, PAYLOAD_FORMATS, type PayloadFormat } from '../../shared/payloads.ts';
import { createProducer, topicForProducing, withAdmin, type TopicLayout } from './kafka-admin-client.ts';
import { DEFAULT_BOOTSTRAP, optionInvalid, parseBootstrap } from './ops/bootstrap.ts';
import { integerOption, pairsOption, parseCommandArgs } from './ops/command-args.ts';
import { explainKafkaError } from './ops/kafka-errors.ts';
import { ProgressBar } from './ops/progress-bar.ts';

const ENCODINGS = ['none', ...PAYLOAD_FORMATS] as const;
type Encoding = (typeof ENCODINGS)[number];

const USAGE = `usage: tributary produce --topic NAME [options]

Sends one record per line of standard input, or one per --value.

options:
  --bootstrap HOST:PORT    the broker (default ${DEFAULT_BOOTSTRAP})
  --topic NAME             the topic; a new name is created on first use when the
                           broker creates topics (kafka.autoCreateTopics), as with
                           Kafka's console producer
  --value TEXT             a record value; repeat for several; stdin is not read then
  --key TEXT               the key of every record (records with one key stay in order)
  --key-separator SEP      read "KEY<SEP>VALUE" lines instead
  --header NAME=VALUE      a header on every record; repeat for several
  --partition N            write to partition N instead of choosing by key
  --encode FORMAT          ${ENCODINGS.join('|')}: each value is JSON text,
                           sent as that format (default none: the text as it is)
  --acks all|1|0           acknowledgement to wait for (default all, idempotent)`;

const OPTIONS = {
  bootstrap: { type: 'string', short: 'b', default: DEFAULT_BOOTSTRAP },
  topic: { type: 'string', short: 't' },
  value: { type: 'string', multiple: true },
  key: { type: 'string', short: 'k' },
  'key-separator': { type: 'string' },
  header: { type: 'string', multiple: true },
  partition: { type: 'string', short: 'p' },
  encode: { type: 'string', default: 'none' },
  acks: { type: 'string', default: 'all' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Records sent in one Produce request; bounds the memory a large input holds while it waits for the broker. */
const SEND_BATCH_RECORDS = 500;
/** A line longer than this is not a record for the console producer; the broker's own limit is usually lower. */
const LINE_BYTES_MAX = 1024 * 1024;

interface ProduceSettings {
  topic: TopicLayout;
  key: Buffer | undefined;
  keySeparator: string | undefined;
  headers: Map<Buffer, Buffer>;
  partition: number | undefined;
  encoding: Encoding;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 0) throw optionInvalid(`unexpected argument "${positionals[0]}"; values are given with --value or on standard input`);
  if (values.topic === undefined) throw optionInvalid('--topic NAME is required');
  const bootstrap = parseBootstrap(values.bootstrap);
  if (!(ENCODINGS as readonly string[]).includes(values.encode)) throw optionInvalid(`--encode must be one of ${ENCODINGS.join(', ')}, not "${values.encode}"`);
  const acks = ({ all: -1, '-1': -1, '1': 1, '0': 0 } as Record<string, number>)[values.acks];
  if (acks === undefined) throw optionInvalid(`--acks must be all, 1 or 0, not "${values.acks}"`);
  const partition = integerOption('partition', values.partition, 0);
  const topicName = values.topic;

  const { topic, created } = await withAdmin(bootstrap, `producing to ${topicName}`, (admin) => topicForProducing(admin, topicName));
  // On standard error, so that a script reading standard output sees only the summary.
  if (created) console.error(`topic ${topic.name} did not exist; the broker created it with its defaults (${topic.partitions} partition${topic.partitions === 1 ? '' : 's'})`);
  if (partition !== undefined && partition >= topic.partitions) {
    throw new TributaryError('PARTITION_NOT_FOUND', `topic ${topic.name} has partitions 0–${topic.partitions - 1}; there is no partition ${partition}`, { topic: topic.name, partition });
  }
  const settings: ProduceSettings = {
    topic,
    key: values.key === undefined ? undefined : Buffer.from(values.key, 'utf8'),
    keySeparator: values['key-separator'],
    // Without serialisers the client takes header names as bytes too.
    headers: new Map(pairsOption('header', values.header).map(([name, value]) => [Buffer.from(name, 'utf8'), Buffer.from(value, 'utf8')])),
    partition,
    encoding: values.encode as Encoding,
  };

  // Idempotence (KIP-98) needs acks=all; with weaker acks the operator asked for speed over safety.
  const producer = createProducer(bootstrap, { idempotent: acks === -1, acks });
  const progress = new ProgressBar({ label: 'producing', total: stdinFileBytes(values.value), unit: values.value ? 'records' : 'bytes' });
  const counts = new Map<number, { first: bigint; last: bigint }>();
  let produced = 0;
  let pending: MessageToProduce[] = [];
  let lineNumber = 0;

  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    let result;
    try {
      result = await producer.send({ messages: batch });
    } catch (error) {
      throw explainKafkaError(error, bootstrap, `producing to ${topic.name}`);
    }
    produced += batch.length;
    for (const entry of result.offsets ?? []) {
      const range = counts.get(entry.partition);
      counts.set(entry.partition, { first: range?.first ?? entry.offset, last: entry.offset });
    }
  };

  try {
    if (values.value) {
      for (const value of values.value) {
        lineNumber += 1;
        pending.push(toMessage(value, settings, `--value #${lineNumber}`));
        progress.advance();
        if (pending.length >= SEND_BATCH_RECORDS) await flush();
      }
    } else {
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      for await (const line of lines) {
        lineNumber += 1;
        progress.advance(Buffer.byteLength(line) + 1);
        if (line === '') continue;
        if (Buffer.byteLength(line) > LINE_BYTES_MAX) throw optionInvalid(`line ${lineNumber} of standard input is longer than ${LINE_BYTES_MAX} bytes`);
        pending.push(toMessage(line, settings, `line ${lineNumber}`));
        if (pending.length >= SEND_BATCH_RECORDS) await flush();
      }
    }
    await flush();
  } finally {
    progress.finish();
    await producer.close().catch(() => undefined);
  }
  const where = [...counts.entries()].sort(([a], [b]) => a - b).map(([index]) => `partition ${index}`).join(', ');
  console.log(`produced ${produced} record${produced === 1 ? '' : 's'} to ${topic.name}${where === '' ? '' : ` (${where})`}`);
  return 0;
}

function toMessage(text: string, settings: ProduceSettings, where: string): MessageToProduce {
  let key = settings.key;
  let valueText = text;
  if (settings.keySeparator !== undefined) {
    const at = text.indexOf(settings.keySeparator);
    if (at < 0) throw optionInvalid(`${where} has no key separator "${settings.keySeparator}"`);
    key = Buffer.from(text.slice(0, at), 'utf8');
    valueText = text.slice(at + settings.keySeparator.length);
  }
  const message: MessageToProduce = { topic: settings.topic.name, value: encodeValue(valueText, settings.encoding, where) };
  if (settings.headers.size > 0) message.headers = settings.headers;
  if (key !== undefined) message.key = key;
  if (settings.partition !== undefined) message.partition = settings.partition;
  return message;
}

function encodeValue(text: string, encoding: Encoding, where: string): Buffer {
  if (encoding === 'none') return Buffer.from(text, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw optionInvalid(`${where} is not JSON, which --encode ${encoding} needs: ${(error as Error).message}`);
  }
  try {
    return encodePayload(value, encoding as PayloadFormat);
  } catch (error) {
    throw optionInvalid(`${where} cannot be encoded as ${encoding}: ${(error as Error).message}`);
  }
}

/** The size of standard input when it is a file (`< readings.jsonl`), for the progress bar. */
function stdinFileBytes(values: readonly string[] | undefined): number | undefined {
  if (values) return values.length;
  try {
    const stat = fstatSync(0);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}
