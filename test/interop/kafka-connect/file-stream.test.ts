// A Kafka Connect worker (Apache Kafka 4.3.1, distributed mode) uses the edge as its Kafka
// cluster: it creates its config, offset and status topics there (compacted, which the
// worker checks), and the FileStream source and sink connectors (connect-file) move a file
// through a topic on the edge. Mid-run the worker is SIGKILLed and started again, then the
// edge is SIGKILLed and restarted on the same data directory and port, while lines keep
// being appended. The sink file ends with every source line. Connect's file connectors are
// at-least-once: lines after the last committed source offset (file position) or sink
// offset (consumer group) are delivered again after a kill, so the test counts duplicates,
// and checks that they are replays only: first deliveries come in file order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ErrorCode } from '../../../shared/kafka/wire/index.ts';
import { Daemon } from '../../helpers/daemon.ts';
import { freePort, kafkaClasspath, spawnJava } from '../../helpers/apache-kafka.ts';
import { RawKafkaConnection } from '../../edge/kafka/clients/support/raw-kafka.ts';
import { readPartition } from '../../edge/kafka/clients/support/log-reader.ts';

/** Lines in the source file: enough for several source polls and sink flushes between the kills. */
const LINE_COUNT = 3_000;
/** Lines appended at a time, and the pause between appends: a file that grows while the connectors run. */
const APPEND_BATCH_LINES = 25;
const APPEND_PAUSE_MS = 40;
/** A worker joins its group, reads its three topics and serves REST in seconds; generous for a loaded 2-core machine. */
const WORKER_READY_TIMEOUT_MS = 90_000;
/** How long the sink may take to reach a mark (including a rebalance after a kill); generous for a loaded machine. */
const PROGRESS_TIMEOUT_MS = 120_000;
const POLL_MS = 200;
/** Worker stderr kept for a failure message: the last lines say why it stopped. */
const WORKER_LOG_TAIL_CHARS = 8_000;
const TOPIC = 'connect-lines';
const INTERNAL_TOPICS = ['connect-configs', 'connect-offsets', 'connect-status'] as const;
const SINK_GROUP = 'connect-file-sink';
const OFFSET_PARTITIONS = 2;
/** "line-000001\n": every line has the same length, so a file position counts lines. */
const LINE_BYTES = 12;
const CONNECT_MAIN = 'org.apache.kafka.connect.cli.ConnectDistributed';

let scratch: string;
let daemon: Daemon | undefined;
let worker: ChildProcess | undefined;
let workerLog = '';
let restPort: number;
let kafkaPort: number;
let appended = 0;
let appendTarget = 0;
let appender: NodeJS.Timeout | undefined;

const sourceFile = () => join(scratch, 'source.txt');
const sinkFile = () => join(scratch, 'sink.txt');
const lineText = (n: number) => `line-${String(n).padStart(6, '0')}`;
const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** The edge's settings, the same at its first start and after the restart; the port is fixed at restart so the worker finds it again. */
function edgeConfig(port: number): Record<string, unknown> {
  return { listeners: { kafka: { host: '127.0.0.1', port } }, log: { level: 'warn' } };
}

function workerProperties(): string {
  return [
    `bootstrap.servers=127.0.0.1:${kafkaPort}`,
    'group.id=edge-connect',
    `listeners=http://127.0.0.1:${restPort}`,
    'config.storage.topic=connect-configs',
    'offset.storage.topic=connect-offsets',
    'status.storage.topic=connect-status',
    'config.storage.replication.factor=1',
    'offset.storage.replication.factor=1',
    'status.storage.replication.factor=1',
    `offset.storage.partitions=${OFFSET_PARTITIONS}`,
    'status.storage.partitions=1',
    'key.converter=org.apache.kafka.connect.storage.StringConverter',
    'value.converter=org.apache.kafka.connect.storage.StringConverter',
    // Source offsets and sink offsets are committed each second, so a kill replays at most about a second of lines.
    'offset.flush.interval.ms=1000',
    // A killed worker's member leaves the group after its session timeout (6 s, the broker
    // minimum in Kafka); its connectors are then reassigned at once instead of after the
    // default 5-minute grace of incremental cooperative rebalancing (KIP-415).
    'session.timeout.ms=6000',
    'heartbeat.interval.ms=2000',
    'scheduled.rebalance.max.delay.ms=0',
    'consumer.session.timeout.ms=6000',
    'consumer.heartbeat.interval.ms=2000',
    '',
  ].join('\n');
}

function startWorker(): void {
  workerLog = '';
  const child = spawnJava(CONNECT_MAIN, [join(scratch, 'worker.properties')], { set: 'connect' });
  child.stdout!.on('data', (chunk) => { workerLog = (workerLog + chunk).slice(-WORKER_LOG_TAIL_CHARS); });
  child.stderr!.on('data', (chunk) => { workerLog = (workerLog + chunk).slice(-WORKER_LOG_TAIL_CHARS); });
  child.stdin!.end();
  worker = child;
}

async function killWorker(): Promise<void> {
  const child = worker;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.kill('SIGKILL');
  await exited;
}

async function rest(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${restPort}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, text: await response.text() };
}

/** Polls until `check` holds; fails naming `what`, with the worker's last output and its connectors' status. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = PROGRESS_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try { if (await check()) return; } catch { /* not yet: the worker or the edge is restarting */ }
    await sleep(POLL_MS);
  }
  let status = '(REST not answering)';
  try { status = (await rest('GET', '/connectors?expand=status')).text; } catch { /* reported as not answering */ }
  throw new Error(`not within ${timeoutMs} ms: ${what}\nsink lines: ${sinkLines().length}, appended: ${appended}\nconnectors: ${status}\nworker output (tail):\n${workerLog}`);
}

function sinkLines(): string[] {
  if (!existsSync(sinkFile())) return [];
  const text = readFileSync(sinkFile(), 'utf8');
  return text.split('\n').filter((line) => line.length > 0);
}

/** Appends lines in small batches up to `appendTarget`, as a logger writing a file does. */
function startAppender(): void {
  appender = setInterval(() => {
    if (appended >= appendTarget) return;
    const end = Math.min(appendTarget, appended + APPEND_BATCH_LINES);
    let chunk = '';
    for (let n = appended + 1; n <= end; n++) chunk += `${lineText(n)}\n`;
    appendFileSync(sourceFile(), chunk);
    appended = end;
  }, APPEND_PAUSE_MS);
}

async function createConnector(name: string, config: Record<string, string>): Promise<void> {
  // 409 while the worker group rebalances; the POST is repeated until it is taken.
  await waitFor(`connector ${name} created`, async () => {
    const created = await rest('POST', '/connectors', { name, config });
    if (created.status === 201) return true;
    if (created.status !== 409) throw new Error(`POST /connectors ${name}: ${created.status} ${created.text}`);
    return false;
  }, WORKER_READY_TIMEOUT_MS);
}

async function withConnection<T>(use: (connection: RawKafkaConnection) => Promise<T>): Promise<T> {
  const connection = await RawKafkaConnection.connect(kafkaPort);
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

function describeCleanupPolicy(topic: string): Promise<string | null | undefined> {
  return withConnection(async (connection) => {
    const described = await connection.request(32, 4, { resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ['cleanup.policy'] }], includeSynonyms: false, includeDocumentation: false });
    const result = described.results[0]!;
    assert.is(result.errorCode, ErrorCode.NONE, `DescribeConfigs ${topic}: ${result.errorMessage}`);
    return result.configs.find((config) => config.name === 'cleanup.policy')?.value;
  });
}

function createTopic(topic: string): Promise<void> {
  return withConnection(async (connection) => {
    const created = await connection.request(19, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    assert.is(created.topics[0]!.errorCode, ErrorCode.NONE, `CreateTopics ${topic}: ${created.topics[0]!.errorMessage}`);
  });
}

/** The sink connector's committed offset in the edge's group store (Connect names the group connect-<connector>), -1 before its first commit. */
function committedSinkOffset(): Promise<bigint> {
  return withConnection(async (connection) => {
    const fetched = await connection.request(9, 8, { groupId: '', topics: null, groups: [{ groupId: SINK_GROUP, memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
    return fetched.groups[0]!.topics.find((candidate) => candidate.name === TOPIC)?.partitions[0]?.committedOffset ?? -1n;
  });
}

/** The file position the source connector last committed to connect-offsets on the edge, in lines (each line is LINE_BYTES long); 0 before its first commit. */
async function committedSourceLines(): Promise<number> {
  let newest: { offset: bigint; position: number } | undefined;
  for (let partition = 0; partition < OFFSET_PARTITIONS; partition++) {
    for (const record of (await readPartition(kafkaPort, 'connect-offsets', partition)).records) {
      if (!record.key?.toString('utf8').includes('"file-source"') || record.value === null) continue;
      if (newest === undefined || record.offset > newest.offset) newest = { offset: record.offset, position: JSON.parse(record.value.toString('utf8')).position };
    }
  }
  return newest === undefined ? 0 : newest.position / LINE_BYTES;
}

/** Line numbers in the order they came, read as a delivery: each line's first time, how many came again, and the runs of consecutive lines. */
interface Delivery { firstDeliveries: number[]; duplicates: number; runs: string[] }

/** Runs read e.g. "1-625, 135-2575, 2001-3000": a run that starts at or below an earlier end is a replay. */
function deliveryOf(lines: readonly string[]): Delivery {
  const seen = new Set<number>();
  const firstDeliveries: number[] = [];
  const runs: string[] = [];
  let duplicates = 0;
  let runStart: number | undefined;
  let previous = 0;
  for (const line of lines) {
    const n = Number(line.slice('line-'.length));
    if (seen.has(n)) duplicates++;
    else { seen.add(n); firstDeliveries.push(n); }
    if (runStart === undefined) runStart = n;
    else if (n !== previous + 1) { runs.push(`${runStart}-${previous}`); runStart = n; }
    previous = n;
  }
  if (runStart !== undefined) runs.push(`${runStart}-${previous}`);
  return { firstDeliveries, duplicates, runs };
}

test.before(async () => {
  kafkaClasspath('connect'); // fails naming scripts/apache-kafka/fetch.sh when the jars are missing
  scratch = mkdtempSync(join(tmpdir(), 'tributary-kafka-connect-'));
  writeFileSync(sourceFile(), '');
  kafkaPort = await freePort();
  restPort = await freePort();
  daemon = await Daemon.start({ config: edgeConfig(kafkaPort) });
  writeFileSync(join(scratch, 'worker.properties'), workerProperties());
});

test.after(async () => {
  if (appender !== undefined) clearInterval(appender);
  await killWorker();
  await daemon?.cleanup();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

test('FileStream source and sink carry a file through the edge across a worker kill and an edge kill, every line delivered', async () => {
  await createTopic(TOPIC);
  startWorker();
  await waitFor('worker REST API answering', async () => (await rest('GET', '/connectors')).status === 200, WORKER_READY_TIMEOUT_MS);
  await createConnector('file-source', { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector', 'tasks.max': '1', file: sourceFile(), topic: TOPIC });
  await createConnector('file-sink', { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector', 'tasks.max': '1', file: sinkFile(), topics: TOPIC });

  appendTarget = 1_000;
  startAppender();
  // The kill comes once both connectors have committed offsets to the edge, so that the
  // restarted worker shows it resumes from them, not from the start of the file or topic.
  await waitFor('300 lines in the sink and committed source and sink offsets before the worker is killed', async () => sinkLines().length >= 300 && await committedSourceLines() > 0 && await committedSinkOffset() > 0n);
  // Lines keep coming while the worker is down: the restarted source reads them.
  appendTarget = 2_000;
  await killWorker();
  const sourceResumesAt = await committedSourceLines() + 1;
  const topicRecordsAtKill = (await readPartition(kafkaPort, TOPIC, 0)).records.length;
  const sinkResumesAt = Number(await committedSinkOffset());
  const sinkLinesAtKill = sinkLines().length;
  startWorker();
  // The edge is killed once the restarted worker has committed past where it resumed, so
  // that its commits, not only the first worker's, are what the edge must keep.
  await waitFor('1,300 lines in the sink and new source and sink commits after the worker restarted', async () =>
    sinkLines().length >= 1_300 && await committedSourceLines() >= sourceResumesAt && await committedSinkOffset() > BigInt(sinkResumesAt));
  const sourceCommittedBeforeEdgeKill = await committedSourceLines();
  const sinkCommittedBeforeEdgeKill = await committedSinkOffset();

  // Lines keep coming while the edge is down: the source holds them until it is back.
  appendTarget = LINE_COUNT;
  await daemon!.kill();
  daemon = await daemon!.restart({ config: edgeConfig(kafkaPort) });
  // Offset commits the edge acknowledged before its kill are still there after recovery.
  assert.ok(await committedSourceLines() >= sourceCommittedBeforeEdgeKill, `source offset ${await committedSourceLines()} lines after the edge restart, ${sourceCommittedBeforeEdgeKill} before`);
  assert.ok(await committedSinkOffset() >= sinkCommittedBeforeEdgeKill, `sink offset ${await committedSinkOffset()} after the edge restart, ${sinkCommittedBeforeEdgeKill} before`);
  const expected = new Set(Array.from({ length: LINE_COUNT }, (_, index) => lineText(index + 1)));
  await waitFor(`all ${LINE_COUNT} lines in the sink after the edge restarted`, () => appended === LINE_COUNT && new Set(sinkLines()).size >= LINE_COUNT);

  const sink = sinkLines();
  const sinkSet = new Set(sink);
  const missing = [...expected].filter((line) => !sinkSet.has(line));
  assert.equal(missing, [], `${missing.length} source lines missing from the sink`);
  const foreign = sink.filter((line) => !expected.has(line));
  assert.equal(foreign, [], 'the sink holds only whole source lines');

  // At-least-once: a line may come again (a replay after a kill), but first deliveries follow
  // the file. The topic shows the source side's replays (file positions after the last
  // committed source offset, or produce retries); the sink adds its consumer's (records
  // after the last committed sink offset).
  const inOrder = Array.from({ length: LINE_COUNT }, (_, index) => index + 1);
  const topicLines = (await readPartition(kafkaPort, TOPIC, 0)).records.map((record) => record.value!.toString('utf8'));
  const topic = deliveryOf(topicLines);
  const delivered = deliveryOf(sink);
  assert.equal(topic.firstDeliveries, inOrder, 'the topic holds every line, first times in file order');
  assert.equal(delivered.firstDeliveries, inOrder, 'the sink has every line, first times in file order');
  // After the worker kill, the source went on from its committed file position and the sink from its committed offset.
  assert.is(topicLines[topicRecordsAtKill], lineText(sourceResumesAt), 'the restarted source resumes at its committed file position');
  assert.is(sink[sinkLinesAtKill], topicLines[sinkResumesAt], 'the restarted sink resumes at its committed offset');
  console.log(`kafka-connect: worker killed with ${topicRecordsAtKill} records in the topic (source committed ${sourceResumesAt - 1} lines) and ${sinkLinesAtKill} lines in the sink (committed offset ${sinkResumesAt}); edge killed with source committed ${sourceCommittedBeforeEdgeKill} lines and sink offset ${sinkCommittedBeforeEdgeKill}; ${LINE_COUNT} lines; topic ${topicLines.length} records, ${topic.duplicates} duplicates (runs ${topic.runs.join(', ')}); sink ${sink.length} lines, ${delivered.duplicates} duplicates (runs ${delivered.runs.join(', ')})`);

  for (const topic of INTERNAL_TOPICS) assert.is(await describeCleanupPolicy(topic), 'compact', `${topic} cleanup.policy`);
});

test.run();
