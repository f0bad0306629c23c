// One pipeline on one input partition: read, decode, run the steps, commit. Exactly once
// without transactions, from what the log gives:
//
// 1. Steps are deterministic (steps/step.ts), and every output gets the next number of a
//    per-task sequence, carried in its headers with the pipeline's name and partition.
// 2. A commit first appends the outputs to the output partition and waits until they are
//    durable, then appends the changed state and a marker (the next input offset, the
//    next sequence number, the output partition's high watermark) to the state topic
//    (state-log.ts), and waits for that.
// 3. At start the task restores the state of the last marker and replays the input from
//    the marker's offset. The outputs of a commit cut short by a crash (written, but no
//    marker after them) are found by reading the output partition from the marker's high
//    watermark: the task's outputs there carry sequence numbers, and the replay, which
//    computes the same outputs with the same numbers, skips every number already written.
//
// So each input record is reflected in the outputs exactly once, whatever moment a crash
// hits. When transactions exist, steps 2 and 3 become one transaction (outputs, state and
// position committed atomically) and the sequence check goes.
import { AbortedBatchFilter } from '../../shared/kafka/read-committed.ts';
import { decodeRecords, encodeRecordBatch, iterateBatchHeaders, type RecordHeaderInput, type RecordInput } from '../../shared/kafka/record-batch.ts';
import { isTributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { RecordScope } from './expression/record-scope.ts';
import type { PipelineMetrics, ErrorKind } from './metrics.ts';
import { decodeValue, encodeValue } from './payload-codec.ts';
import type { PipelineLog } from './pipeline-log.ts';
import type { PipelinePlan } from './plan.ts';
import { buildSteps } from './step-chain.ts';
import type { Emit, PipelineRecord, Step, StepCounters, StepEnvironment } from './steps/step.ts';
import { StateLog, STATE_FORMAT_VERSION, type CommitMarker } from './state-log.ts';
import { OUTPUT_HEADERS, outputHeaders, readOutputHeaders } from './output-headers.ts';
import type { RecentProblems } from './recent-problems.ts';

/** Input bytes read at once; a read holds at most this much plus its decoded records. */
export const READ_BYTES_MAX = 1024 * 1024;
/** Output bytes buffered before a commit is forced mid-read: bounds memory when many windows close at once. */
export const OUTPUT_BUFFER_BYTES_MAX = 4 * 1024 * 1024;
/** Output bytes per batch: well under the default maxMessageBytes (1 MiB). */
export const OUTPUT_BATCH_BYTES_MAX = 256 * 1024;
/** Longest single wait for new input, so a stop or a due commit is noticed. */
const IDLE_WAIT_MS = 1000;
/** Failures (a full disk, a deleted topic) are retried after this, doubling up to the maximum. */
const RETRY_BACKOFF_MIN_MS = 500;
const RETRY_BACKOFF_MAX_MS = 30_000;
/** Records a task reports in the log per minute per kind; the rest are counted only. */
const REPORTS_PER_MINUTE = 10;

export interface TaskStatus {
  partition: number;
  state: 'starting' | 'running' | 'retrying' | 'stopped';
  position: string;
  committedPosition: string;
  highWatermark: string;
  lagRecords: string;
  outputPartition: number;
  sequence: string;
  openWindows: number;
  stateEntries: number;
  lastError?: string;
}

export interface TaskDependencies {
  plan: PipelinePlan;
  index: number;
  log: PipelineLog;
  stateTopic: string;
  metrics: PipelineMetrics;
  logger: Logger;
  /** The pipeline's recent problems, shared by its tasks. */
  problems: RecentProblems;
}

interface PendingOutput {
  record: RecordInput;
  bytes: number;
}

export class PartitionTask {
  readonly index: number;
  readonly #deps: TaskDependencies;
  readonly #name: string;
  readonly #scope = new RecordScope();
  readonly #counters: StepCounters = { filtered: 0, late: 0, errors: 0, limitDrops: 0 };
  readonly #reports = new Map<string, { minute: number; count: number }>();
  #steps: Step[] = [];
  #emitTo: Emit[] = [];
  #state!: StateLog;
  #status: TaskStatus['state'] = 'starting';
  #lastError: string | undefined;
  #position = 0n;
  #committedPosition = 0n;
  #sequence = 0n;
  /** Sequence numbers up to this one are already in the output partition: a replay skips them. */
  #writtenUpTo = -1n;
  #outputPartition = 0;
  #outputEnd = 0n;
  #outputs: PendingOutput[] = [];
  #outputBytes = 0;
  #lastCommitMs = 0;
  #running: Promise<void> | undefined;
  readonly #stop = new AbortController();

  constructor(deps: TaskDependencies) {
    this.#deps = deps;
    this.index = deps.index;
    this.#name = deps.plan.config.name;
    this.#scope.topic = deps.plan.config.from;
    this.#scope.partition = deps.index;
  }

  start(): void {
    this.#running ??= this.#runWithRetries();
  }

  /** Stops after the record in hand and commits what was processed. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    this.#status = 'stopped';
  }

  status(): TaskStatus {
    const input = this.#inputOrUndefined();
    const highWatermark = input?.highWatermark ?? 0n;
    const sizes = this.#stateSize();
    return {
      partition: this.index,
      state: this.#status,
      position: this.#position.toString(),
      committedPosition: this.#committedPosition.toString(),
      highWatermark: highWatermark.toString(),
      lagRecords: this.#lagRecords(highWatermark).toString(),
      outputPartition: this.#outputPartition,
      sequence: this.#sequence.toString(),
      openWindows: sizes.openWindows,
      stateEntries: sizes.entries,
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  /** Input records not yet processed and committed: the status's lag and the lag gauge's. */
  #lagRecords(highWatermark: bigint): bigint {
    return highWatermark > this.#committedPosition ? highWatermark - this.#committedPosition : 0n;
  }

  #inputOrUndefined() {
    try {
      return this.#deps.log.partition(this.#deps.plan.config.from, this.index);
    } catch {
      return undefined;
    }
  }

  #stateSize(): { entries: number; openWindows: number } {
    let entries = 0;
    let openWindows = 0;
    for (const step of this.#steps) {
      const size = step.state?.size();
      entries += size?.entries ?? 0;
      openWindows += size?.openWindows ?? 0;
    }
    return { entries, openWindows };
  }

  async #runWithRetries(): Promise<void> {
    let backoffMs = RETRY_BACKOFF_MIN_MS;
    while (!this.#stop.signal.aborted) {
      try {
        await this.#recover();
        this.#status = 'running';
        this.#lastError = undefined;
        backoffMs = RETRY_BACKOFF_MIN_MS;
        await this.#process();
        return;
      } catch (error) {
        if (this.#stop.signal.aborted && isTributaryError(error, 'STORAGE_CLOSED')) return;
        this.#status = 'retrying';
        this.#lastError = (error as Error).message;
        this.#countError('io');
        this.#deps.problems.add({ atMs: Date.now(), kind: 'io', partition: this.index, offset: null, message: this.#lastError });
        this.#deps.logger.error({ err: error, pipeline: this.#name, partition: this.index, retryInMs: backoffMs }, 'pipeline task failed; it restarts from its last commit');
        await sleep(backoffMs, this.#stop.signal);
        backoffMs = Math.min(backoffMs * 2, RETRY_BACKOFF_MAX_MS);
      }
    }
  }

  /** Restores state and position from the state topic, and finds the outputs already written after the last commit. */
  async #recover(): Promise<void> {
    const { plan, log, stateTopic, logger } = this.#deps;
    const config = plan.config;
    this.#state = new StateLog(log, stateTopic, this.index);
    this.#steps = buildSteps(plan, this.#environment(), config.limits);
    this.#emitTo = this.#steps.map((_step, index) => this.#emitAt(index + 1));
    this.#outputs = [];
    this.#outputBytes = 0;
    const input = log.partition(config.from, this.index);
    const outputPartitions = log.describeTopic(config.to)?.partitions ?? 1;
    const restored = await this.#state.restore();
    let marker = restored.marker;
    if (marker === undefined) {
      // A new task writes its starting point first, so that every later start finds a marker.
      this.#outputPartition = this.index % outputPartitions;
      marker = {
        version: STATE_FORMAT_VERSION,
        position: config.startFrom === 'latest' ? input.highWatermark : input.logStartOffset,
        sequence: 0n,
        outputPartition: this.#outputPartition,
        outputEnd: log.partition(config.to, this.#outputPartition).highWatermark,
        fingerprint: plan.fingerprint,
        steps: [],
        full: true,
      };
      await this.#state.commit([], marker);
      logger.info({ event: 'pipeline-started', pipeline: this.#name, partition: this.index, position: marker.position.toString() }, 'pipeline starts on a new partition');
    } else if (marker.fingerprint === plan.fingerprint) {
      this.#steps.forEach((step, index) => step.state?.restore(restored.entries.get(index)?.entries() ?? [], marker!.steps[index]));
    } else {
      logger.warn({ event: 'pipeline-steps-changed', pipeline: this.#name, partition: this.index }, 'the pipeline\'s steps changed since its state was written: open windows and dedupe/throttle entries start empty; the input position is kept');
    }
    this.#position = marker.position;
    this.#committedPosition = marker.position;
    this.#sequence = marker.sequence;
    this.#outputPartition = marker.outputPartition;
    this.#outputEnd = marker.outputEnd;
    this.#writtenUpTo = await this.#lastWrittenSequence(marker);
    this.#lastCommitMs = Date.now();
    if (restored.discardedRecords > 0 || this.#writtenUpTo >= this.#sequence) {
      logger.info({ event: 'pipeline-recovered', pipeline: this.#name, partition: this.index, position: this.#position.toString(), uncommittedStateRecords: restored.discardedRecords, outputsAlreadyWritten: (this.#writtenUpTo - this.#sequence + 1n).toString() }, 'pipeline resumes after an interrupted commit');
    }
  }

  /** The highest sequence number of this task's outputs written after the marker's output high watermark, or -1. */
  async #lastWrittenSequence(marker: CommitMarker): Promise<bigint> {
    const output = this.#deps.log.partition(this.#deps.plan.config.to, marker.outputPartition);
    let offset = marker.outputEnd < output.logStartOffset ? output.logStartOffset : marker.outputEnd;
    let highest = -1n;
    while (offset < output.highWatermark) {
      const { batches } = await output.read(offset, READ_BYTES_MAX);
      if (batches.length === 0) break;
      for (const header of iterateBatchHeaders(batches)) {
        for (const record of decodeRecords(batches, header.position)) {
          const coordinates = readOutputHeaders(record.headers);
          if (coordinates !== undefined && coordinates.pipeline === this.#name && coordinates.partition === this.index && coordinates.sequence > highest) highest = coordinates.sequence;
        }
        offset = header.lastOffset + 1n;
      }
    }
    return highest;
  }

  #environment(): StepEnvironment {
    return {
      scope: this.#scope,
      counters: this.#counters,
      report: (kind, message, detail) => this.#report(kind, message, detail),
    };
  }

  #emitAt(index: number): Emit {
    if (index >= this.#steps.length) return (record) => this.#collect(record);
    const step = this.#steps[index]!;
    const next = this.#emitAt(index + 1);
    return (record) => step.process(record, next);
  }

  /** An output of the last step: numbered, encoded and buffered until the commit, unless a replay finds it written already. */
  #collect(record: PipelineRecord): void {
    let value: Buffer;
    try {
      value = encodeValue(record.value, this.#deps.plan.config.encode);
    } catch (error) {
      this.#countError('encode');
      this.#report('expression', `the output cannot be encoded: ${(error as Error).message}`, { offset: record.offset });
      return;
    }
    const sequence = this.#sequence;
    this.#sequence += 1n;
    if (sequence <= this.#writtenUpTo) {
      this.#deps.metrics.replayedOutputs.inc({ pipeline: this.#name });
      return;
    }
    const headers: RecordHeaderInput[] = outputHeaders(this.#name, this.index, record.offset, sequence);
    const bytes = (record.key?.length ?? 0) + value.length + OUTPUT_HEADERS.bytes;
    this.#outputs.push({ record: { key: record.key, value, timestampMs: record.timestamp, headers }, bytes });
    this.#outputBytes += bytes;
  }

  async #process(): Promise<void> {
    const { plan, log, metrics } = this.#deps;
    const config = plan.config;
    const signal = this.#stop.signal;
    const input = log.partition(config.from, this.index);
    const labels = { pipeline: this.#name };
    while (!signal.aborted) {
      if (this.#position < input.logStartOffset) {
        const lost = input.logStartOffset - this.#position;
        metrics.lost.inc(labels, Number(lost));
        this.#deps.logger.error({ event: 'records-lost', pipeline: this.#name, partition: this.index, from: this.#position.toString(), to: input.logStartOffset.toString() }, 'input records were deleted by retention before the pipeline read them');
        this.#position = input.logStartOffset;
      }
      // Committed input only (KIP-98): nothing of an open or aborted transaction.
      const { batches, abortedTransactions } = await input.read(this.#position, READ_BYTES_MAX, { committedOnly: true });
      if (batches.length === 0) {
        if (this.#commitDue()) await this.#commit();
        const waitMs = Math.max(1, Math.min(IDLE_WAIT_MS, this.#lastCommitMs + config.commitIntervalMs - Date.now()));
        await input.waitForData(this.#position, waitMs, signal, true);
        // Lag as a read_committed consumer counts it: up to the last stable offset (KIP-98).
        this.#publishGauges(input.lastStableOffset);
        continue;
      }
      const aborted = new AbortedBatchFilter(abortedTransactions ?? []);
      for (const header of iterateBatchHeaders(batches)) {
        const records = aborted.skips(header, batches) ? [] : decodeRecords(batches, header.position);
        for (const record of records) {
          if (record.offset < this.#position) continue;
          this.#processRecord(record.value, record.key, Number(record.timestamp), record.headers, record.offset);
          this.#position = record.offset + 1n;
          if (this.#outputBytes >= OUTPUT_BUFFER_BYTES_MAX) await this.#commit();
        }
        // Control records and compacted gaps: the next read starts after the whole batch.
        if (header.lastOffset + 1n > this.#position) this.#position = header.lastOffset + 1n;
      }
      // Outputs go at once (an alert should not wait); otherwise state is committed every commitIntervalMs.
      if (this.#outputs.length > 0 || this.#commitDue()) await this.#commit();
      this.#publishGauges(input.lastStableOffset);
    }
    if (this.#position > this.#committedPosition || this.#outputs.length > 0) await this.#commit();
  }

  #commitDue(): boolean {
    return this.#position > this.#committedPosition && Date.now() - this.#lastCommitMs >= this.#deps.plan.config.commitIntervalMs;
  }

  #processRecord(payload: Buffer | null, key: Buffer | null, timestamp: number, headers: PipelineRecord['headers'], offset: bigint): void {
    const config = this.#deps.plan.config;
    this.#deps.metrics.recordsIn.inc({ pipeline: this.#name });
    if (payload === null) {
      this.#countError('decode');
      this.#report('expression', 'the record has no value', { offset });
      return;
    }
    if (payload.length > config.limits.recordBytes) {
      this.#countError('decode');
      this.#report('limit', `the value has ${payload.length} bytes, more than limits.recordBytes (${config.limits.recordBytes})`, { offset });
      return;
    }
    let value: unknown;
    try {
      value = decodeValue(payload, config.decode);
    } catch (error) {
      this.#countError('decode');
      this.#report('expression', `the value is not ${config.decode}: ${(error as Error).message}`, { offset });
      return;
    }
    const record: PipelineRecord = { key, value, timestamp, headers, offset };
    if (this.#steps.length === 0) this.#collect(record);
    else this.#steps[0]!.process(record, this.#emitTo[0]!);
    this.#flushCounters();
  }

  #flushCounters(): void {
    const counters = this.#counters;
    const { metrics } = this.#deps;
    const labels = { pipeline: this.#name };
    if (counters.filtered > 0) metrics.filtered.inc(labels, counters.filtered);
    if (counters.late > 0) metrics.late.inc(labels, counters.late);
    if (counters.errors > 0) metrics.errors.inc({ pipeline: this.#name, kind: 'expression' }, counters.errors);
    if (counters.limitDrops > 0) metrics.limitDrops.inc(labels, counters.limitDrops);
    counters.filtered = 0;
    counters.late = 0;
    counters.errors = 0;
    counters.limitDrops = 0;
  }

  /** Outputs first, durable; then the state changes and the marker. */
  async #commit(): Promise<void> {
    const { plan, log, metrics } = this.#deps;
    const config = plan.config;
    const output = log.partition(config.to, this.#outputPartition);
    const outputs = this.#outputs;
    if (outputs.length > 0) {
      await output.append(encodeOutputBatches(outputs));
      metrics.recordsOut.inc({ pipeline: this.#name }, outputs.length);
      this.#outputs = [];
      this.#outputBytes = 0;
    }
    // Every output of this task numbered before the marker is below this high watermark.
    const outputEnd = output.highWatermark;
    const full = this.#state.snapshotDue;
    const entries: [number, string, unknown][] = [];
    this.#steps.forEach((step, index) => {
      if (step.state === undefined) return;
      const changes = step.state.takeChanges();
      if (full) {
        for (const [key, value] of step.state.entries()) entries.push([index, key, value]);
      } else {
        for (const [key, value] of changes) entries.push([index, key, value]);
      }
    });
    const marker: CommitMarker = {
      version: STATE_FORMAT_VERSION,
      position: this.#position,
      sequence: this.#sequence,
      outputPartition: this.#outputPartition,
      outputEnd,
      fingerprint: plan.fingerprint,
      steps: this.#steps.map((step) => step.state?.scalars() ?? {}),
      full,
    };
    const { bytes } = await this.#state.commit(entries, marker);
    metrics.commits.inc({ pipeline: this.#name });
    metrics.stateBytesWritten.inc({ pipeline: this.#name }, bytes);
    this.#committedPosition = this.#position;
    this.#outputEnd = outputEnd;
    this.#lastCommitMs = Date.now();
  }

  #publishGauges(highWatermark: bigint): void {
    const labels = { pipeline: this.#name, partition: String(this.index) };
    const { metrics } = this.#deps;
    metrics.lagRecords.set(labels, Number(this.#lagRecords(highWatermark)));
    const size = this.#stateSize();
    metrics.openWindows.set(labels, size.openWindows);
    metrics.stateEntries.set(labels, size.entries);
  }

  #countError(kind: ErrorKind): void {
    this.#deps.metrics.errors.inc({ pipeline: this.#name, kind });
  }

  /** Logs a record's problem, at most REPORTS_PER_MINUTE times a minute per kind; the metrics count every one, and the recent problems keep the newest. */
  #report(kind: string, message: string, detail: Record<string, unknown>): void {
    const offset = detail.offset;
    this.#deps.problems.add({ atMs: Date.now(), kind, partition: this.index, offset: typeof offset === 'bigint' ? offset.toString() : null, message });
    const minute = Math.floor(Date.now() / 60_000);
    let entry = this.#reports.get(kind);
    if (entry === undefined || entry.minute !== minute) this.#reports.set(kind, entry = { minute, count: 0 });
    entry.count += 1;
    if (entry.count > REPORTS_PER_MINUTE) return;
    const suppressed = entry.count === REPORTS_PER_MINUTE ? ' (further ones this minute are only counted)' : '';
    this.#deps.logger.warn({ event: `pipeline-${kind}`, pipeline: this.#name, partition: this.index, ...stringifyOffsets(detail) }, `${message}${suppressed}`);
  }
}

function encodeOutputBatches(outputs: readonly PendingOutput[]): Buffer {
  const batches: Buffer[] = [];
  let records: RecordInput[] = [];
  let bytes = 0;
  for (const output of outputs) {
    if (records.length > 0 && bytes + output.bytes > OUTPUT_BATCH_BYTES_MAX) {
      batches.push(encodeRecordBatch({ records }));
      records = [];
      bytes = 0;
    }
    records.push(output.record);
    bytes += output.bytes;
  }
  if (records.length > 0) batches.push(encodeRecordBatch({ records }));
  return batches.length === 1 ? batches[0]! : Buffer.concat(batches);
}

function stringifyOffsets(detail: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(detail).map(([key, value]) => [key, typeof value === 'bigint' ? value.toString() : value]));
}

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, milliseconds);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
