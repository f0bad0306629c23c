// The Kafka clients the operator commands use (@platformatic/kafka's Admin, Producer and
// Consumer), set up for a command line: few retries, so that a broker that is down is
// reported in a second rather than after a minute, and every failure explained in one
// sentence (see ops/kafka-errors.ts).
import { readFileSync } from 'node:fs';
import { Admin, Connection, Consumer, Producer } from '@platformatic/kafka';
import { TributaryError } from '../../shared/errors.ts';
import { explainKafkaError } from './ops/kafka-errors.ts';

/** A request that takes longer than this on a LAN is stuck; the operator should hear about it. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Retries of a failed request: enough for a leader change, few enough to fail fast when the broker is down. */
const REQUEST_RETRIES = 1;
const RETRY_DELAY_MS = 250;
/** Topics named in a "no topic named X" message; beyond this the list says how many more. */
const TOPICS_LISTED_MAX = 20;

export interface TopicLayout {
  name: string;
  id: string;
  partitions: number;
  /** The node id leading each partition, by partition index. */
  leaders: number[];
}

/**
 * TLS and SASL for brokers that require them, from the environment so that a password
 * stays out of the shell's history and the process list:
 *   TRIBUTARY_KAFKA_CA_FILE         CA certificate (PEM) of the broker's TLS listener; turns TLS on
 *   TRIBUTARY_KAFKA_SASL_USERNAME   with TRIBUTARY_KAFKA_SASL_PASSWORD: SASL PLAIN
 */
function securityOptions(environment: NodeJS.ProcessEnv = process.env): { tls?: { ca: Buffer }; sasl?: { mechanism: 'PLAIN'; username: string; password: string } } {
  const options: ReturnType<typeof securityOptions> = {};
  const caFile = environment.TRIBUTARY_KAFKA_CA_FILE;
  if (caFile !== undefined && caFile !== '') {
    try {
      options.tls = { ca: readFileSync(caFile) };
    } catch (error) {
      throw new TributaryError('CLI_OPTION_INVALID', `TRIBUTARY_KAFKA_CA_FILE: cannot read ${caFile}: ${(error as Error).message}`, { path: caFile }, { cause: error });
    }
  }
  const username = environment.TRIBUTARY_KAFKA_SASL_USERNAME;
  if (username !== undefined && username !== '') {
    const password = environment.TRIBUTARY_KAFKA_SASL_PASSWORD;
    if (password === undefined) throw new TributaryError('CLI_OPTION_INVALID', 'TRIBUTARY_KAFKA_SASL_USERNAME is set but TRIBUTARY_KAFKA_SASL_PASSWORD is not', {});
    options.sasl = { mechanism: 'PLAIN', username, password };
  }
  return options;
}

function baseOptions(bootstrap: readonly string[], role: string) {
  return {
    clientId: `tributary-cli-${role}`,
    bootstrapBrokers: [...bootstrap],
    timeout: REQUEST_TIMEOUT_MS,
    connectTimeout: REQUEST_TIMEOUT_MS,
    retries: REQUEST_RETRIES,
    retryDelay: RETRY_DELAY_MS,
    ...securityOptions(),
  };
}

export function createAdmin(bootstrap: readonly string[]): Admin {
  return new Admin(baseOptions(bootstrap, 'admin'));
}

export function createProducer(bootstrap: readonly string[], options: { idempotent: boolean; acks: number }): Producer {
  return new Producer({ ...baseOptions(bootstrap, 'producer'), idempotent: options.idempotent, acks: options.acks, autocreateTopics: false });
}

export function createConsumer(bootstrap: readonly string[], groupId: string): Consumer {
  return new Consumer({ ...baseOptions(bootstrap, 'consumer'), groupId });
}

/** Runs `work` with an admin client and closes it; a Kafka failure becomes an operating error naming `action`. */
export async function withAdmin<T>(bootstrap: readonly string[], action: string, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createAdmin(bootstrap);
  try {
    return await work(admin);
  } catch (error) {
    throw explainKafkaError(error, bootstrap, action);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/**
 * Runs `work` on one connection to the first broker of `bootstrap`, with the admin client's
 * TLS and SASL, for the APIs the Admin client does not wrap (DescribeUserScramCredentials,
 * AlterUserScramCredentials); a Kafka failure becomes an operating error naming `action`.
 */
export async function withBrokerConnection<T>(bootstrap: readonly string[], action: string, work: (connection: Connection) => Promise<T>): Promise<T> {
  const address = bootstrap[0]!;
  const separator = address.lastIndexOf(':');
  const connection = new Connection('tributary-cli-admin', { connectTimeout: REQUEST_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, ...securityOptions() });
  try {
    await connection.connect(address.slice(0, separator).replace(/^\[|\]$/g, ''), Number(address.slice(separator + 1)));
    return await work(connection);
  } catch (error) {
    throw explainKafkaError(error, bootstrap, action);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** The topic's id and partition count, or "no topic named X; topics: …". */
export async function requireTopic(admin: Admin, name: string): Promise<TopicLayout> {
  const names = (await admin.listTopics()).sort();
  if (!names.includes(name)) throw noSuchTopic(name, names);
  const metadata = await admin.metadata({ topics: [name], forceUpdate: true });
  const topic = metadata.topics.get(name);
  if (!topic) throw noSuchTopic(name, names);
  return layoutOf(name, topic);
}

/**
 * The topic a producer writes to, created on first use when the broker creates topics
 * (kafka.autoCreateTopics on an edge, auto.create.topics.enable on Kafka), as Kafka's
 * console producer leaves that to the broker: a Metadata request that allows auto-creation.
 * `created` says whether the topic is new; a broker that does not create it is named.
 */
export async function topicForProducing(admin: Admin, name: string): Promise<{ topic: TopicLayout; created: boolean }> {
  const names = (await admin.listTopics()).sort();
  if (names.includes(name)) return { topic: await requireTopic(admin, name), created: false };
  let metadata;
  try {
    metadata = await admin.metadata({ topics: [name], autocreateTopics: true, forceUpdate: true });
  } catch {
    // The broker answered UNKNOWN_TOPIC_OR_PARTITION: it does not create topics on first use.
    metadata = undefined;
  }
  const topic = metadata?.topics.get(name);
  if (!topic || topic.partitionsCount === 0) {
    throw new TributaryError('TOPIC_NOT_FOUND', `no topic named ${name}, and the broker does not create topics on first use (kafka.autoCreateTopics is false); create it with: tributary topics create --topic ${name} --partitions N; ${topicList(names)}`, { topic: name });
  }
  return { topic: layoutOf(name, topic), created: true };
}

function layoutOf(name: string, topic: { id: string; partitionsCount: number; partitions: { leader: number }[] }): TopicLayout {
  return { name, id: topic.id, partitions: topic.partitionsCount, leaders: topic.partitions.map((partition) => partition.leader) };
}

export function noSuchTopic(name: string, known: readonly string[]): TributaryError {
  return new TributaryError('TOPIC_NOT_FOUND', `no topic named ${name}; ${topicList(known)}`, { topic: name });
}

/** "topics: a, b, c and 7 more", or "there are no topics". */
function topicList(known: readonly string[]): string {
  const shown = known.slice(0, TOPICS_LISTED_MAX).join(', ');
  const more = known.length > TOPICS_LISTED_MAX ? ` and ${known.length - TOPICS_LISTED_MAX} more` : '';
  return known.length === 0 ? 'there are no topics' : `topics: ${shown}${more}`;
}

export interface PartitionOffsets {
  partition: number;
  /** The first offset still in the log. */
  logStartOffset: bigint;
  /** The offset the next record will get (the high watermark on a single node). */
  logEndOffset: bigint;
}

/** Log start and end offsets of each partition of `topic`, by ListOffsets (earliest, latest). */
export async function partitionOffsets(admin: Admin, topic: TopicLayout): Promise<PartitionOffsets[]> {
  const partitions = Array.from({ length: topic.partitions }, (_, index) => index);
  const ask = (timestamp: bigint) => admin.listOffsets({ topics: [{ name: topic.name, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }] });
  const [earliest, latest] = await Promise.all([ask(EARLIEST_TIMESTAMP), ask(LATEST_TIMESTAMP)]);
  const offsetOf = (answer: Awaited<ReturnType<typeof ask>>, partition: number): bigint =>
    answer.find((entry) => entry.name === topic.name)?.partitions.find((entry) => entry.partitionIndex === partition)?.offset ?? 0n;
  return partitions.map((partition) => ({ partition, logStartOffset: offsetOf(earliest, partition), logEndOffset: offsetOf(latest, partition) }));
}

/** ListOffsets special timestamps (Kafka's ListOffsetsRequest.EARLIEST_TIMESTAMP and LATEST_TIMESTAMP). */
export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;
