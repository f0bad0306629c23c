// A broker a differential scenario runs against: Apache Kafka 4.4 or the edge, reached the
// same way, with raw requests built by the project's own codecs.
import { RawKafkaConnection } from '../../../edge/kafka/clients/support/raw-kafka.ts';
import { ErrorCode, type DecodedResponseBody, type RequestBodyInput, type ServedApiKey } from '../../../../shared/kafka/wire/index.ts';
import { encodeRecordBatch, type RecordInput } from '../../../../shared/kafka/record-batch.ts';

/** Metadata checks while a new topic gets its leaders, and the pause between them (a client's metadata backoff). */
const TOPIC_READY_CHECKS_MAX = 300;
const TOPIC_READY_RETRY_MS = 100;

export class Target {
  readonly name: 'kafka' | 'edge';
  readonly port: number;
  readonly #connection: RawKafkaConnection;

  private constructor(name: 'kafka' | 'edge', port: number, connection: RawKafkaConnection) {
    this.name = name;
    this.port = port;
    this.#connection = connection;
  }

  static async connect(name: 'kafka' | 'edge', port: number): Promise<Target> {
    return new Target(name, port, await RawKafkaConnection.connect(port));
  }

  /** A request on the target's shared connection. */
  request<Key extends ServedApiKey>(apiKey: Key, apiVersion: number, body: RequestBodyInput<Key>): Promise<DecodedResponseBody<Key>> {
    return this.#connection.request(apiKey, apiVersion, body);
  }

  /** A request on a connection of its own, which the broker may close (unsupported versions). */
  async requestAlone<Key extends ServedApiKey>(apiKey: Key, apiVersion: number, body: RequestBodyInput<Key>): Promise<DecodedResponseBody<Key> | 'connection closed'> {
    const connection = await RawKafkaConnection.connect(this.port);
    try {
      return await connection.request(apiKey, apiVersion, body);
    } catch (error) {
      if (connection.isClosed) return 'connection closed';
      throw error;
    } finally {
      await connection.close();
    }
  }

  /** Sends raw bytes on a connection of its own and returns the response frame, or that the broker closed it. */
  async replayAlone(frame: Buffer): Promise<Buffer | 'connection closed'> {
    const connection = await RawKafkaConnection.connect(this.port);
    try {
      return await connection.replay(frame);
    } catch (error) {
      if (connection.isClosed) return 'connection closed';
      throw error;
    } finally {
      await connection.close();
    }
  }

  async createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
    const response = await this.request(19, 7, {
      topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([configName, value]) => ({ name: configName, value })) }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const topic = response.topics[0]!;
    if (topic.errorCode !== ErrorCode.NONE) throw new Error(`${this.name}: creating topic ${name} failed with error ${topic.errorCode}: ${topic.errorMessage}`);
    // Kafka creates a topic through its controller: until every partition has a leader,
    // produce and fetch answer as for a topic that does not exist. Clients wait the same way.
    for (let attempt = 0; attempt < TOPIC_READY_CHECKS_MAX; attempt++) {
      const metadata = await this.request(3, 12, { topics: [{ name, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      const described = metadata.topics[0]!;
      if (described.errorCode === ErrorCode.NONE && described.partitions.length === partitions && described.partitions.every((partition) => partition.errorCode === ErrorCode.NONE && partition.leaderId >= 0)) return;
      await new Promise((resolve) => setTimeout(resolve, TOPIC_READY_RETRY_MS));
    }
    throw new Error(`${this.name}: topic ${name} has no leader for every partition after ${TOPIC_READY_CHECKS_MAX} checks`);
  }

  /** Appends one batch and insists that it is acknowledged. */
  async produceOk(topic: string, partition: number, records: RecordInput[]): Promise<void> {
    const { errorCode } = await this.produce(topic, partition, records);
    if (errorCode !== ErrorCode.NONE) throw new Error(`${this.name}: producing to ${topic}-${partition} failed with error ${errorCode}`);
  }

  /** Appends one batch to a partition; returns the produce error code and base offset. */
  async produce(topic: string, partition: number, records: RecordInput[], version = 9): Promise<{ errorCode: number; baseOffset: bigint }> {
    const response = await this.request(0, version, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeRecordBatch({ records }) }] }] });
    const { errorCode, baseOffset } = response.responses[0]!.partitionResponses[0]!;
    return { errorCode, baseOffset };
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }
}
