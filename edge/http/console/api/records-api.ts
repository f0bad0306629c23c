// GET /api/records: the message browser. A page of records of one partition (or of all),
// starting at the newest, at an offset or at a time, optionally only those whose key
// contains some text. Every read is bounded: a page holds at most RECORDS_PAGE_MAX records,
// and a filtered search reads at most SCAN_RECORDS_MAX records and SCAN_BYTES_MAX bytes
// before it answers with what it found and where to go on.
import type { RecordData } from '../../../../shared/record-view.ts';
import type { TopicSnapshot } from '../providers.ts';
import { ApiRefusal, oneOf, required, shortText, wholeNumber, type ApiHandler } from './api-request.ts';
import { browserRecord, keyText } from './browser-record.ts';
import { BROWSER_DECODE_MODES } from './payload-decoders.ts';

/** Records on one page at most: a screenful, not a dump. */
export const RECORDS_PAGE_MAX = 100;
const RECORDS_PAGE_DEFAULT = 20;
/** Records a filtered search reads at most per request, over all partitions: bounds the time a search holds the event loop. */
export const SCAN_RECORDS_MAX = 20_000;
/** Log bytes one request reads at most, over all partitions. */
export const SCAN_BYTES_MAX = 16 * 1024 * 1024;
/** Bytes asked of the log per read: a few hundred records of sensor readings. */
const READ_CHUNK_BYTES = 256 * 1024;
/** Longest key filter: keys are device ids and the like. */
const KEY_FILTER_CHARACTERS_MAX = 256;
const FROM = ['newest', 'offset', 'timestamp'] as const;

export const recordsApi: ApiHandler = async ({ providers }, query) => {
  const topicName = required(query, 'topic', '/api/records?topic=NAME&partition=0&from=newest&limit=20');
  const topic = providers.topics.topics().find((entry) => entry.name === topicName);
  if (!topic) {
    const known = providers.topics.topics().map((entry) => entry.name).sort();
    throw new ApiRefusal(404, `no topic named ${topicName}; topics: ${known.join(', ') || '(none)'}`);
  }
  const partitionText = query.get('partition') ?? 'all';
  const partitions = partitionText === 'all' ? topic.partitions.map((entry) => entry.partition) : [wholeNumber(query, 'partition', 0, 0, topic.partitions.length - 1)];
  const limit = wholeNumber(query, 'limit', RECORDS_PAGE_DEFAULT, 1, RECORDS_PAGE_MAX);
  const from = oneOf(query, 'from', FROM);
  const decode = oneOf(query, 'decode', BROWSER_DECODE_MODES);
  const keyFilter = shortText(query, 'key', KEY_FILTER_CHARACTERS_MAX);
  const matches = (record: RecordData): boolean => keyFilter === '' || (keyText(record)?.includes(keyFilter) ?? false);

  const starts = await startOffsets(providers.topics, topic, partitions, from, query);
  const perPartitionRecords = Math.floor(SCAN_RECORDS_MAX / partitions.length);
  const perPartitionBytes = Math.floor(SCAN_BYTES_MAX / partitions.length);
  let scanned = 0;
  let complete = true;
  const found: RecordData[] = [];
  const nextOffsets: Record<string, string> = {};
  for (const partition of partitions) {
    const snapshot = topic.partitions[partition]!;
    // Newest: the last page of the partition, or with a filter the last scan's worth of it.
    let offset = from === 'newest' ? maxOf(snapshot.logStartOffset, snapshot.logEndOffset - BigInt(keyFilter === '' ? limit : perPartitionRecords)) : starts.get(partition)!;
    const hits: RecordData[] = [];
    let records = 0;
    let bytes = 0;
    while (offset < snapshot.logEndOffset && records < perPartitionRecords && bytes < perPartitionBytes) {
      const read = await providers.topics.read(topic.name, partition, offset, perPartitionRecords - records, Math.min(READ_CHUNK_BYTES, perPartitionBytes - bytes));
      if (read === undefined || read.length === 0) break;
      for (const record of read) {
        bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
        if (matches(record)) hits.push(record);
      }
      records += read.length;
      offset = read.at(-1)!.offset + 1n;
      // Forward from an offset or a time, a full page ends the search.
      if (from !== 'newest' && hits.length >= limit) break;
    }
    scanned += records;
    if (offset < snapshot.logEndOffset && (from === 'newest' ? keyFilter !== '' : hits.length < limit)) complete = false;
    found.push(...(from === 'newest' ? hits.slice(-limit) : hits.slice(0, limit)));
    nextOffsets[String(partition)] = (from === 'newest' ? snapshot.logEndOffset : offset).toString();
  }
  // Several partitions interleave by time; the page keeps the newest (or the first) `limit`.
  found.sort((a, b) => (a.timestamp === b.timestamp ? (a.partition === b.partition ? Number(a.offset - b.offset) : a.partition - b.partition) : a.timestamp < b.timestamp ? -1 : 1));
  const page = from === 'newest' ? found.slice(-limit) : found.slice(0, limit);
  return {
    topic: topic.name,
    partitions,
    from,
    key: keyFilter === '' ? null : keyFilter,
    limit,
    scanned,
    /** False when the scan stopped at its bound before reading everything it could: nextOffsets says where to go on. */
    complete,
    nextOffsets,
    records: page.map((record) => browserRecord(record, decode)),
  };
};

async function startOffsets(topics: { offsetForTimestamp(topic: string, partition: number, timestampMs: bigint): Promise<bigint | undefined> }, topic: TopicSnapshot, partitions: number[], from: (typeof FROM)[number], query: URLSearchParams): Promise<Map<number, bigint>> {
  const starts = new Map<number, bigint>();
  if (from === 'offset') {
    const text = required(query, 'offset', '/api/records?topic=NAME&partition=0&from=offset&offset=1200');
    if (!/^\d{1,19}$/.test(text)) throw new ApiRefusal(400, `offset must be a whole number, not "${text}"`);
    for (const partition of partitions) starts.set(partition, BigInt(text));
  } else if (from === 'timestamp') {
    const text = required(query, 'timestamp', '/api/records?topic=NAME&from=timestamp&timestamp=2026-01-31T12:00:00Z');
    const milliseconds = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
    if (!Number.isFinite(milliseconds)) throw new ApiRefusal(400, `timestamp must be milliseconds since 1970 or a date and time such as 2026-01-31T12:00:00Z, not "${text}"`);
    for (const partition of partitions) starts.set(partition, (await topics.offsetForTimestamp(topic.name, partition, BigInt(milliseconds))) ?? topic.partitions[partition]!.logEndOffset);
  }
  return starts;
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
