// Reads chosen partitions of a topic from chosen offsets without joining a consumer group,
// as Kafka's console consumer does with --partition and --offset: Fetch requests straight
// to each partition's leader, so that looking at a topic leaves no trace on the broker.
import type { Consumer } from '@platformatic/kafka';
import type { TopicLayout } from '../kafka-admin-client.ts';
import type { RecordData } from '../../../shared/record-view.ts';

/** How long the broker may hold a Fetch open waiting for data (long poll); short enough to notice Ctrl-C. */
const FETCH_WAIT_MS = 500;
/** Bytes one Fetch response may carry; bounds the memory of a catch-up read. */
const FETCH_BYTES_MAX = 4 * 1024 * 1024;
/** Bytes per partition in one Fetch response (Kafka's max.partition.fetch.bytes default). */
const PARTITION_FETCH_BYTES_MAX = 1024 * 1024;

export type StartPosition =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'timestamp'; timestamp: bigint };

/** ListOffsets special timestamps (Kafka's ListOffsetsRequest). */
const EARLIEST = -2n;
const LATEST = -1n;

export class PartitionReader {
  readonly #consumer: Consumer;
  readonly #topic: TopicLayout;
  readonly #partitions: readonly number[];
  readonly #positions = new Map<number, bigint>();
  readonly #ends = new Map<number, bigint>();

  constructor(consumer: Consumer, topic: TopicLayout, partitions: readonly number[]) {
    this.#consumer = consumer;
    this.#topic = topic;
    this.#partitions = partitions;
  }

  /** The next offset to read in each partition. */
  get positions(): ReadonlyMap<number, bigint> {
    return this.#positions;
  }

  /** Log end offsets as of the last seek or fetch. */
  get ends(): ReadonlyMap<number, bigint> {
    return this.#ends;
  }

  /**
   * Sets each partition's position. An offset below the log start begins at the start, one
   * beyond the end at the end; a timestamp later than every record begins at the end.
   */
  async seek(start: StartPosition): Promise<void> {
    const [earliest, latest] = await Promise.all([this.#listOffsets(EARLIEST), this.#listOffsets(LATEST)]);
    const byTime = start.kind === 'timestamp' ? await this.#listOffsets(start.timestamp) : undefined;
    for (const partition of this.#partitions) {
      const first = earliest[partition] ?? 0n;
      const end = latest[partition] ?? 0n;
      this.#ends.set(partition, end);
      let position: bigint;
      switch (start.kind) {
        case 'earliest': position = first; break;
        case 'latest': position = end; break;
        case 'offset': position = start.offset < first ? first : start.offset > end ? end : start.offset; break;
        case 'timestamp': {
          // -1: no record at or after the timestamp (KIP-79).
          const found = byTime?.[partition] ?? -1n;
          position = found < 0n ? end : found;
          break;
        }
      }
      this.#positions.set(partition, position);
    }
  }

  /** Records in offset order per partition, for as long as the caller keeps pulling. */
  async *records(): AsyncGenerator<RecordData> {
    const leaders = new Map<number, number[]>();
    for (const partition of this.#partitions) {
      const leader = this.#topic.leaders[partition] ?? -1;
      leaders.set(leader, [...(leaders.get(leader) ?? []), partition]);
    }
    for (;;) {
      for (const [leader, partitions] of leaders) {
        const response = await this.#consumer.fetch({
          node: leader,
          maxWaitTime: FETCH_WAIT_MS,
          minBytes: 1,
          maxBytes: FETCH_BYTES_MAX,
          topics: [{
            topicId: this.#topic.id,
            partitions: partitions.map((partition) => ({
              partition,
              fetchOffset: this.#positions.get(partition)!,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
              partitionMaxBytes: PARTITION_FETCH_BYTES_MAX,
            })),
          }],
        });
        for (const topic of response.responses) {
          for (const answer of topic.partitions) {
            const partition = answer.partitionIndex;
            this.#ends.set(partition, answer.highWatermark);
            for (const batch of answer.records ?? []) {
              for (const record of batch.records) {
                const offset = batch.firstOffset + BigInt(record.offsetDelta);
                // A fetch returns whole batches, so the first may begin before the position.
                if (offset < this.#positions.get(partition)!) continue;
                this.#positions.set(partition, offset + 1n);
                yield {
                  topic: this.#topic.name,
                  partition,
                  offset,
                  timestamp: batch.firstTimestamp + record.timestampDelta,
                  key: record.key,
                  value: record.value,
                  headers: record.headers.map(([key, value]) => ({ key, value })),
                };
              }
              // Past the whole batch even when its last records are gone (compaction) or it
              // holds none a reader sees (a transaction marker), or the next fetch repeats it.
              const afterBatch = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
              if (afterBatch > this.#positions.get(partition)!) this.#positions.set(partition, afterBatch);
            }
          }
        }
      }
    }
  }

  async #listOffsets(timestamp: bigint): Promise<bigint[]> {
    const offsets = await this.#consumer.listOffsets({ topics: [this.#topic.name], partitions: { [this.#topic.name]: [...this.#partitions] }, timestamp });
    return offsets.get(this.#topic.name) ?? [];
  }
}
