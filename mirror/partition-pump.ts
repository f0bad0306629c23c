// One mirrored partition: reads record batches from the source partition p and appends
// them, with their source coordinates in headers, to target partition p. The same pump
// runs both ways: edge → central for mirrored topics, central → edge for reverse rules.
//
// Exactly once, in order:
//
// 1. Position. On start and after every failure the pump reads the tail of the target
//    partition (tail-scan.ts) and resumes right after the newest record that came from
//    this source. Nothing delivered is sent again; nothing is skipped.
//
// 2. One produce request in flight per partition. The next request goes only after the
//    previous one was answered, so a failed request can never be overtaken by a later
//    one: order on the target is the source order. (The next batch is read and encoded
//    while the current one is in flight, so the link does not idle between requests.)
//
// 3. The cluster's duplicate check, across runs (KIP-98). Batches carry a producer id,
//    an epoch and sequence numbers. After the tail scan the pump carries on with the
//    producer id of the newest delivered batch and the sequence number after it, so a
//    batch is numbered by where it stands in the source, whichever run sends it. A
//    request of an earlier attempt that reaches the cluster late (held in a buffer on the
//    way while the link was down) either matches a batch already appended, and is
//    answered as a duplicate, or does not follow the last sequence, and is refused as out
//    of order. Either way it is not appended twice; the refusal makes the pump scan the
//    tail again. Before any retry every connection is dropped with a reset, so nothing
//    queued on them can still be delivered by TCP.
//
// When the edge log no longer holds the offset the pump needs (the disk budget evicted
// it before delivery), the missing records are counted as lost and the pump carries on
// from the log start: loss is reported, never silent.
import { AbortedBatchFilter } from '../shared/kafka/read-committed.ts';
import type { Logger } from '../shared/logger.ts';
import {
  decodeRecords,
  encodeRecordBatch,
  iterateBatchHeaders,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  type RecordHeaderInput,
  type RecordInput,
} from '../shared/kafka/record-batch.ts';
import type { CompressionName } from '../shared/kafka/compression/codec.ts';
import { isTributaryError, TributaryError } from '../shared/errors.ts';
import type { LogEndpoint } from './endpoint.ts';
import { kafkaErrorName, kafkaFailure } from './endpoint.ts';
import { describeError, KafkaError } from '../shared/kafka/client/kafka-errors.ts';
import type { LinkMonitor } from './link-monitor.ts';
import type { LinkScheduler, SenderClass } from './link-scheduler.ts';
import type { HeaderLike } from './source-headers.ts';
import { nextSequence, scanTail, type TargetBatch } from './tail-scan.ts';
import { sleep } from './bandwidth.ts';

/** A batch refused as too large is retried at half the size, down to this. */
const BATCH_BYTES_MIN = 1024;
/** Pause before retrying after an error that is not the link's (a refused request, the edge log failing). */
const ERROR_PAUSE_MS_MIN = 500;
const ERROR_PAUSE_MS_MAX = 30_000;
/**
 * Pause before retrying after a failure that Kafka expects to pass by itself: a partition
 * whose leader died while the rest of the cluster answers (a new leader is elected once the
 * dead broker's session expires, 9 s by default), a coordinator still loading. It doubles
 * up to the maximum, so that the partition resumes soon after Kafka has recovered.
 */
const RETRIABLE_PAUSE_MS_MIN = 200;
const RETRIABLE_PAUSE_MS_MAX = 5_000;
/** Pause before retrying when the edge's own Kafka listener is unreachable (a standalone mirror while the edge restarts): it is on the same device, so it comes back soon. */
const EDGE_RETRY_PAUSE_MS = 500;
/** After this many sequence refusals in a row with a producer learned from the tail, the pump takes a new producer id. */
const SEQUENCE_REFUSALS_MAX = 2;
/** Bytes read per request during the tail scan. */
const SCAN_READ_BYTES = 1024 * 1024;

export type PumpDirection = 'forward' | 'reverse';

export interface PumpObserver {
  /** The pump knows where it stands: `nextOffset` is the next source offset to deliver. */
  positioned(pump: PartitionPump, nextOffset: bigint): void;
  /** A produce request of `bytes` is about to cross the link (whatever its outcome). */
  sent(pump: PartitionPump, bytes: number): void;
  /** Records are on the target: appended now, or found there by a tail scan after their answer was lost. */
  delivered(pump: PartitionPump, delivery: { nextOffset: bigint; records: number; sourceBytes: number }): void;
  /** The source's end and the age of the oldest record not yet delivered (0 when caught up). */
  progress(pump: PartitionPump, progress: { highWatermark: bigint; nextOffset: bigint; oldestUndeliveredMs: number | undefined; bytesPerRecord: number }): void;
  /** Records the source no longer held when the pump reached them. */
  lost(pump: PartitionPump, records: bigint, range: { from: bigint; to: bigint }): void;
}

export interface PartitionPumpOptions {
  direction: PumpDirection;
  source: LogEndpoint;
  sourceTopic: string;
  target: LogEndpoint;
  targetTopic: string;
  partition: number;
  /** Headers naming where the record at a source offset came from. */
  coordinates(offset: bigint): RecordHeaderInput[];
  /** The source offset of a target record, when it came from this pump's source. */
  sourceOffsetOf(headers: readonly HeaderLike[]): bigint | undefined;
  /** Names the source in messages: "edge pump-7 (sensors/2)". */
  sourceName: string;
  /**
   * The next source offset delivered as the source side last recorded it (committed
   * offsets), for when the target's retention has removed every delivered record.
   */
  deliveredFloor?: () => Promise<bigint | undefined>;
  /** Which end is the central cluster, whose connection failures are the link's. */
  central: 'source' | 'target';
  link: LinkMonitor;
  /** Turns on the link, for pumps that send to the central cluster. */
  scheduler?: { scheduler: LinkScheduler; senderClass: SenderClass };
  compression: CompressionName | 'none';
  batchBytesMax: number;
  longPollMs: number;
  observer: PumpObserver;
  logger: Logger;
}

interface Producer {
  producerId: bigint;
  producerEpoch: number;
  sequence: number;
  /** Learned from the tail (true) or freshly allocated (false). */
  continued: boolean;
}

interface PreparedBatch {
  /** The encoded target batch; undefined when the range held nothing to send (control records only). */
  batch: Buffer | undefined;
  firstOffset: bigint;
  /** The source offset after this batch. */
  nextOffset: bigint;
  records: number;
  sourceBytes: number;
  lostRecords: bigint;
}

class Refusal extends Error {
  readonly rescan: boolean;
  constructor(message: string, rescan: boolean) {
    super(message);
    this.rescan = rescan;
  }
}

export class PartitionPump {
  readonly options: PartitionPumpOptions;
  readonly key: string;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  #nextOffset: bigint | undefined;
  #producer: Producer | undefined;
  #batchBytes: number;
  #sequenceRefusals = 0;
  #errorPauseMs = ERROR_PAUSE_MS_MIN;
  #retriablePauseMs = RETRIABLE_PAUSE_MS_MIN;
  /** The Kafka error of the last refusal of a batch that was logged; undefined once a batch went through. */
  #refusalLogged: number | undefined;
  #bytesPerRecord = 0;

  constructor(options: PartitionPumpOptions) {
    this.options = options;
    this.key = `${options.direction}:${options.sourceTopic}/${options.partition}`;
    this.#batchBytes = options.batchBytesMax;
  }

  /** The next source offset to deliver, once known. */
  get nextOffset(): bigint | undefined {
    return this.#nextOffset;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Stops reading and waits for the request in flight, if any, to be answered. */
  async stop(): Promise<void> {
    this.#abort.abort(new TributaryError('MIRROR_TARGET_FAILED', 'the mirror is stopping', {}));
    await this.#running;
  }

  get #signal(): AbortSignal {
    return this.#abort.signal;
  }

  async #run(): Promise<void> {
    const { logger } = this.options;
    while (!this.#signal.aborted) {
      try {
        await this.options.link.ready(this.#signal);
        if (this.#nextOffset === undefined || this.#producer === undefined) await this.#position();
        await this.#pump();
      } catch (error) {
        if (this.#signal.aborted) break;
        this.#producer = undefined;
        await this.#failed(error, logger);
      }
    }
  }

  async #failed(error: unknown, logger: Logger): Promise<void> {
    const message = describeError(error);
    if (isCentralConnectionFailure(error)) {
      const link = await this.options.link.connectionFailed(message, error);
      if (link === 'went-down') logger.warn({ event: 'link-down', pump: this.key, err: message }, 'link to the central cluster is down');
      if (link !== 'up') return;
      // The cluster answers: only the broker this partition needs is out of reach.
      logger.info({ event: 'partition-unreachable', pump: this.key, err: message }, 'a request of this partition failed on its connection while the central cluster answers (its leader may be down until Kafka elects another); retrying this partition');
      await this.#retriablePause();
      return;
    }
    if (error instanceof Refusal && error.rescan) {
      logger.info({ pump: this.key, reason: error.message }, 'scanning the target tail again');
      this.options.link.recordError(error.message);
      return;
    }
    this.options.link.recordError(message);
    if (isTributaryError(error, 'MIRROR_SOURCE_FAILED') && error.details.network === true) {
      logger.warn({ pump: this.key, err: message }, 'the edge log is unreachable; retrying');
      await sleep(EDGE_RETRY_PAUSE_MS, this.#signal).catch(() => undefined);
      return;
    }
    if (error instanceof TributaryError && error.details.retriable === true) {
      logger.warn({ pump: this.key, err: message }, 'the central cluster asked to retry; retrying this partition');
      await this.#retriablePause();
      return;
    }
    if (error instanceof TributaryError && typeof error.details.kafkaErrorCode === 'number') {
      // The central refused this batch (a timestamp out of its range, a missing permission):
      // said once, and again when the error changes (its text may not: Kafka's names the
      // clock). The batch is sent again with growing pauses, and nothing after it goes first,
      // so that order holds once the cause is gone.
      const refusal = error.details.kafkaErrorCode;
      if (this.#refusalLogged !== refusal) logger.error({ event: 'batch-refused', pump: this.key, kafkaError: kafkaErrorName(refusal), err: message }, 'the central cluster refused a batch; this partition sends it again with growing pauses and nothing after it meanwhile');
      this.#refusalLogged = refusal;
    } else {
      logger.error({ pump: this.key, err: message }, 'partition mirror failed; retrying');
    }
    await sleep(this.#errorPauseMs, this.#signal).catch(() => undefined);
    this.#errorPauseMs = Math.min(ERROR_PAUSE_MS_MAX, this.#errorPauseMs * 2);
  }

  async #retriablePause(): Promise<void> {
    await sleep(this.#retriablePauseMs, this.#signal).catch(() => undefined);
    this.#retriablePauseMs = Math.min(RETRIABLE_PAUSE_MS_MAX, this.#retriablePauseMs * 2);
  }

  /** Learns from the target's tail where to resume and with which producer. */
  async #position(): Promise<void> {
    const { source, target, sourceTopic, targetTopic, partition } = this.options;
    const reader = {
      offsets: () => target.offsets(targetTopic, partition),
      read: async (offset: bigint, maxBytes: number): Promise<TargetBatch[]> => decodeTargetBatches((await target.read(targetTopic, partition, offset, maxBytes, 0)).records),
    };
    const position = await scanTail(reader, {
      sourceOffsetOf: this.options.sourceOffsetOf,
      source: this.options.sourceName,
      where: `${target.name}: ${targetTopic}/${partition}`,
    });
    const sourceOffsets = await source.offsets(sourceTopic, partition);
    let next = position.lastDeliveredOffset === undefined ? sourceOffsets.logStartOffset : position.lastDeliveredOffset + 1n;
    if (position.lastDeliveredOffset === undefined && position.targetLogStartOffset > 0n) next = await this.#afterRetention(next, position.targetLogStartOffset);
    if (next > sourceOffsets.highWatermark) {
      this.options.logger.error({ pump: this.key, delivered: next.toString(), sourceEnd: sourceOffsets.highWatermark.toString() }, `${target.name} holds records up to source offset ${next - 1n} but ${source.name} ends at ${sourceOffsets.highWatermark}: the source log lost records it had acknowledged; the mirror waits for new records past the delivered ones`);
    }
    if (next < sourceOffsets.logStartOffset) {
      this.#reportLost(next, sourceOffsets.logStartOffset);
      next = sourceOffsets.logStartOffset;
    }
    let producer: Producer;
    const useContinuation = position.producer !== undefined && this.#sequenceRefusals < SEQUENCE_REFUSALS_MAX;
    if (!target.needsProducerId) {
      producer = { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH, sequence: NO_SEQUENCE, continued: false };
    } else if (useContinuation) {
      producer = { ...position.producer!, sequence: position.producer!.nextSequence, continued: true };
    } else {
      // A producer id of its own for this partition: its sequence starts at 0 here, whatever
      // the cluster remembers of ids used elsewhere.
      const fresh = await target.initProducerId();
      producer = { producerId: fresh.producerId, producerEpoch: fresh.producerEpoch, sequence: 0, continued: false };
      this.#sequenceRefusals = 0;
    }
    const previous = this.#nextOffset;
    if (previous !== undefined && next > previous) {
      // A batch whose answer was lost did reach the target: it counts as delivered now.
      const records = Number(next - previous);
      this.options.observer.delivered(this, { nextOffset: next, records, sourceBytes: Math.round(records * this.#bytesPerRecord) });
    }
    this.#nextOffset = next;
    this.#producer = producer;
    this.options.observer.positioned(this, next);
    this.options.link.succeeded();
    this.options.logger.debug({ pump: this.key, next: next.toString(), producerId: producer.producerId.toString(), sequence: producer.sequence, scannedBytes: position.scannedBytes }, 'partition positioned from the target tail');
  }

  /**
   * The target partition holds nothing of this source, and its log starts above 0: it held
   * records once and retention (or DeleteRecords) removed them all, ours with them, during a
   * long outage. The tail can no longer say what was delivered, so the source side's own
   * record takes over: the delivered offset committed there (`deliveredFloor`), or this
   * run's position, whichever is further. Starting from the source's log start instead would
   * send again everything the source still holds.
   */
  async #afterRetention(sourceLogStart: bigint, targetLogStart: bigint): Promise<bigint> {
    const committed = await this.options.deliveredFloor?.();
    const known = [committed, this.#nextOffset].filter((offset): offset is bigint => offset !== undefined);
    if (known.length === 0) return sourceLogStart;
    const floor = known.reduce((a, b) => (a > b ? a : b));
    // Below the source's log start, the caller counts the records in between as lost.
    if (floor !== sourceLogStart) this.options.logger.info({ event: 'resume-after-retention', pump: this.key, targetLogStart: targetLogStart.toString(), next: floor.toString() }, `${this.options.target.name}: ${this.options.targetTopic}/${this.options.partition} no longer holds any record of ${this.options.sourceName} (retention removed everything below offset ${targetLogStart}); resuming at source offset ${floor}, the delivered offset the source side keeps`);
    return floor;
  }

  /** Sends batches until something fails; each iteration reads the next batch while the current one is in flight. */
  async #pump(): Promise<void> {
    let next = this.#nextOffset!;
    let sequence = this.#producer!.sequence;
    let prepared = this.#readAhead(next, sequence);
    for (;;) {
      const batch = await prepared;
      if (batch.lostRecords > 0n) this.#reportLost(batch.firstOffset - batch.lostRecords, batch.firstOffset);
      if (batch.batch === undefined) {
        next = batch.nextOffset;
        this.#nextOffset = next;
        prepared = this.#readAhead(next, sequence);
        continue;
      }
      const followingSequence = this.#producer!.producerId === NO_PRODUCER_ID ? NO_SEQUENCE : nextSequence(sequence, batch.records);
      prepared = this.#readAhead(batch.nextOffset, followingSequence);
      await this.#send(batch);
      next = batch.nextOffset;
      sequence = followingSequence;
      this.#nextOffset = next;
      this.#producer!.sequence = sequence;
      this.#errorPauseMs = ERROR_PAUSE_MS_MIN;
      this.#retriablePauseMs = RETRIABLE_PAUSE_MS_MIN;
      this.#refusalLogged = undefined;
      this.#sequenceRefusals = 0;
    }
  }

  /**
   * Starts reading the next batch while the current one is sent. Its failure is taken up
   * when it is awaited, or dropped with it when the send fails first (its position no longer
   * holds then): it must not count as unhandled meanwhile, which ends the process (Node.js's
   * default).
   */
  #readAhead(offset: bigint, sequence: number): Promise<PreparedBatch> {
    const prepared = this.#prepare(offset, sequence);
    prepared.catch(() => undefined);
    return prepared;
  }

  /** Reads the source from `offset` and encodes what it holds as one target batch. */
  async #prepare(offset: bigint, sequence: number): Promise<PreparedBatch> {
    const { source, sourceTopic, partition, longPollMs } = this.options;
    for (;;) {
      const read = await source.read(sourceTopic, partition, offset, this.#batchBytes, longPollMs, this.#signal);
      if (read.outOfRange) {
        if (offset < read.logStartOffset) {
          return { batch: undefined, firstOffset: read.logStartOffset, nextOffset: read.logStartOffset, records: 0, sourceBytes: 0, lostRecords: read.logStartOffset - offset };
        }
        throw new TributaryError(source.errorCode, `${source.name}: ${sourceTopic}/${partition} ends at ${read.highWatermark}, before offset ${offset} the mirror needs`, { offset });
      }
      const records: RecordInput[] = [];
      let sourceBytes = 0;
      let nextOffset = offset;
      let oldestMs: number | undefined;
      // Control batches and the batches of aborted transactions are not data to mirror (KIP-98).
      const aborted = new AbortedBatchFilter(read.abortedTransactions ?? []);
      for (const header of iterateBatchHeaders(read.records)) {
        if (header.lastOffset < offset) continue;
        nextOffset = header.lastOffset + 1n;
        if (aborted.skips(header, read.records)) continue;
        sourceBytes += header.sizeBytes;
        for (const record of decodeRecords(read.records, header.position)) {
          if (record.offset < offset) continue;
          oldestMs ??= Number(record.timestamp);
          records.push({
            key: record.key,
            value: record.value,
            timestampMs: record.timestamp,
            headers: [...record.headers, ...this.options.coordinates(record.offset)],
          });
        }
      }
      if (this.options.central === 'source') this.options.link.succeeded();
      if (records.length > 0) this.#bytesPerRecord = sourceBytes / records.length;
      this.options.observer.progress(this, { highWatermark: read.highWatermark, nextOffset: offset, oldestUndeliveredMs: oldestMs, bytesPerRecord: this.#bytesPerRecord });
      if (nextOffset === offset) {
        // Nothing new within the long poll: read again (a stop aborts the wait).
        if (this.#signal.aborted) throw this.#signal.reason;
        continue;
      }
      if (records.length === 0) return { batch: undefined, firstOffset: offset, nextOffset, records: 0, sourceBytes: 0, lostRecords: 0n };
      const producer = this.#producer!;
      const batch = encodeRecordBatch({
        records,
        producerId: producer.producerId,
        producerEpoch: producer.producerEpoch,
        baseSequence: sequence,
        compression: this.options.compression === 'none' ? undefined : this.options.compression,
      });
      return { batch, firstOffset: offset, nextOffset, records: records.length, sourceBytes, lostRecords: 0n };
    }
  }

  async #send(prepared: PreparedBatch): Promise<void> {
    const { target, targetTopic, partition, scheduler } = this.options;
    const batch = prepared.batch!;
    const grant = scheduler ? await scheduler.scheduler.acquire(this.key, scheduler.senderClass, batch.length, this.#signal) : undefined;
    let outcome;
    try {
      this.options.observer.sent(this, batch.length);
      outcome = await target.append(targetTopic, partition, batch);
    } finally {
      grant?.release();
    }
    if (this.options.central === 'target') this.options.link.succeeded();
    switch (outcome.errorCode) {
      case KafkaError.NONE:
      case KafkaError.DUPLICATE_SEQUENCE_NUMBER:
        // A duplicate is a batch the cluster already holds, from an earlier attempt: delivered.
        this.options.observer.delivered(this, { nextOffset: prepared.nextOffset, records: prepared.records, sourceBytes: prepared.sourceBytes });
        return;
      case KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER:
      case KafkaError.INVALID_PRODUCER_EPOCH:
      case KafkaError.PRODUCER_FENCED:
      case KafkaError.UNKNOWN_PRODUCER_ID:
        // The target holds something this pump did not expect (a late request of an earlier
        // attempt, or another writer): look again at what it holds.
        if (this.#producer?.continued) this.#sequenceRefusals += 1;
        throw new Refusal(`${target.name}: ${targetTopic}/${partition} refused the batch at source offset ${prepared.firstOffset}: ${kafkaErrorName(outcome.errorCode)}`, true);
      case KafkaError.MESSAGE_TOO_LARGE:
      case KafkaError.RECORD_LIST_TOO_LARGE:
        this.#batchBytes = Math.max(BATCH_BYTES_MIN, Math.floor(this.#batchBytes / 2));
        throw new Refusal(`${target.name}: ${targetTopic}/${partition} refused a ${batch.length}-byte batch as too large; reading ${this.#batchBytes} bytes per batch from now on`, true);
      default:
        throw kafkaFailure(target.errorCode, target.name, `${targetTopic}/${partition} refused the batch at source offset ${prepared.firstOffset}`, outcome.errorCode, outcome.errorMessage);
    }
  }

  #reportLost(from: bigint, to: bigint): void {
    const count = to - from;
    if (count <= 0n) return;
    this.options.observer.lost(this, count, { from, to });
    this.options.logger.error({ event: 'records-lost', pump: this.key, topic: this.options.sourceTopic, partition: this.options.partition, from: from.toString(), to: to.toString(), records: count.toString() }, `${this.options.source.name} no longer holds offsets ${from} to ${to - 1n} of ${this.options.sourceTopic}/${this.options.partition}: ${count} records were evicted before the mirror delivered them`);
  }
}

/** Decodes target batches for the tail scan: every record's offset and headers. */
export function decodeTargetBatches(records: Buffer): TargetBatch[] {
  const batches: TargetBatch[] = [];
  for (const header of iterateBatchHeaders(records)) {
    const decoded = header.isControlBatch ? [] : decodeRecords(records, header.position);
    batches.push({
      baseOffset: header.baseOffset,
      lastOffset: header.lastOffset,
      sizeBytes: header.sizeBytes,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      records: decoded.map((record) => ({ offset: record.offset, headers: record.headers })),
    });
  }
  return batches;
}

/** A connection failure of the central cluster (not a refusal, and not the edge log's): the link's business. */
function isCentralConnectionFailure(error: unknown): boolean {
  return isTributaryError(error, 'MIRROR_TARGET_FAILED') && error.details.network === true;
}
