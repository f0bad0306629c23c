// Live updates by server-sent events, so that the console's pages change in place instead
// of reloading. GET /api/events sends the overview after every history sample (every 5 s);
// pages that show something else fetch their own JSON when it arrives. GET /api/tail
// follows a topic: new records as they become durable, filtered by key, at most
// TAIL_RECORDS_PER_PUSH_MAX every TAIL_PUSH_INTERVAL_MS (beyond that it skips ahead and
// says how many it skipped).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordData } from '../../../../shared/record-view.ts';
import { ApiRefusal, oneOf, required, shortText, wholeNumber, type ApiHandler, type ConsoleContext } from './api-request.ts';
import { browserRecord, keyText } from './browser-record.ts';
import { overview } from './overview-api.ts';
import { BROWSER_DECODE_MODES } from './payload-decoders.ts';

/** Event streams open at once across the console: each holds a connection and a listener; a handful of browser tabs need fewer. */
export const LIVE_STREAMS_MAX = 16;
/** A followed topic pushes at most this often: a person reads no faster. */
export const TAIL_PUSH_INTERVAL_MS = 500;
/** Records sent per push at most; more in between are skipped (and counted), the newest kept. */
export const TAIL_RECORDS_PER_PUSH_MAX = 50;
/** Bytes read from one partition per push at most. */
const TAIL_READ_BYTES_MAX = 1024 * 1024;
/** Longest key filter, as in the browser. */
const KEY_FILTER_CHARACTERS_MAX = 256;

function openStream(context: ConsoleContext, request: IncomingMessage, response: ServerResponse): (event: string, data: unknown) => void {
  if (context.liveStreams.size >= LIVE_STREAMS_MAX) throw new ApiRefusal(503, `${LIVE_STREAMS_MAX} live streams are open already; close a console tab and try again`);
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.write('retry: 5000\n\n');
  context.liveStreams.add(response);
  request.once('close', () => context.liveStreams.delete(response));
  return (event, data) => {
    if (!response.writableEnded) response.write(`event: ${event}\ndata: ${JSON.stringify(data, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))}\n\n`);
  };
}

export const eventsApi: ApiHandler = async (context, _query, request, response) => {
  const send = openStream(context, request, response);
  send('overview', await overview(context));
  const stop = context.history.onSample(() => {
    void overview(context).then((body) => send('overview', body), () => undefined);
  });
  request.once('close', stop);
};

export const tailApi: ApiHandler = (context, query, request, response) => {
  const topicName = required(query, 'topic', '/api/tail?topic=NAME[&partition=N][&key=TEXT]');
  const topic = context.providers.topics.topics().find((entry) => entry.name === topicName);
  if (!topic) throw new ApiRefusal(404, `no topic named ${topicName}`);
  const partitionText = query.get('partition') ?? 'all';
  const partitions = partitionText === 'all' ? topic.partitions.map((entry) => entry.partition) : [wholeNumber(query, 'partition', 0, 0, topic.partitions.length - 1)];
  const decode = oneOf(query, 'decode', BROWSER_DECODE_MODES);
  const keyFilter = shortText(query, 'key', KEY_FILTER_CHARACTERS_MAX);
  const send = openStream(context, request, response);
  // Follows from the end as it is now: the browser shows what came before.
  const positions = new Map(partitions.map((partition) => [partition, topic.partitions[partition]!.logEndOffset]));
  const ends = new Map(positions);
  let timer: NodeJS.Timeout | undefined;
  let pushing = false;
  let closed = false;

  const push = async (): Promise<void> => {
    timer = undefined;
    if (pushing || closed) return;
    pushing = true;
    try {
      const records: RecordData[] = [];
      let skipped = 0n;
      for (const partition of partitions) {
        let from = positions.get(partition)!;
        const end = ends.get(partition)!;
        if (end <= from) continue;
        // Only the newest records fit a push: the ones before them are skipped.
        const start = end - BigInt(TAIL_RECORDS_PER_PUSH_MAX);
        if (start > from) {
          skipped += start - from;
          from = start;
        }
        const read = await context.providers.topics.read(topic.name, partition, from, TAIL_RECORDS_PER_PUSH_MAX, TAIL_READ_BYTES_MAX) ?? [];
        records.push(...read.filter((record) => keyFilter === '' || (keyText(record)?.includes(keyFilter) ?? false)));
        positions.set(partition, read.length > 0 ? read.at(-1)!.offset + 1n : end);
      }
      records.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
      const shown = records.slice(-TAIL_RECORDS_PER_PUSH_MAX);
      if (shown.length > 0 || skipped > 0n) send('records', { records: shown.map((record) => browserRecord(record, decode)), skipped: skipped + BigInt(records.length - shown.length) });
    } catch (error) {
      send('failure', { error: (error as Error).message });
    } finally {
      pushing = false;
      // Records that became durable while this push ran go out with the next one.
      if (!closed && partitions.some((partition) => ends.get(partition)! > positions.get(partition)!)) timer ??= setTimeout(() => void push(), TAIL_PUSH_INTERVAL_MS);
    }
  };

  const stop = context.providers.topics.onDurable((name, partition, highWatermark) => {
    if (name !== topic.name || !positions.has(partition)) return;
    ends.set(partition, highWatermark);
    timer ??= setTimeout(() => void push(), TAIL_PUSH_INTERVAL_MS);
  });
  request.once('close', () => {
    closed = true;
    stop();
    clearTimeout(timer);
  });
  send('following', { topic: topic.name, partitions, from: Object.fromEntries([...positions].map(([partition, offset]) => [partition, offset.toString()])) });
};
