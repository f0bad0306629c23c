// The storage phase of the footprint benchmark: where the storage part's share of an idle
// daemon goes. A probe process first loads what the daemon loads before the store (the
// idle probe's parts up to it), then each piece of the store one after another, and prints
// what each adds to RSS after a full GC, with its anonymous part (the rest is pages of
// files: code, shared with every process that maps them, and dropped by the kernel at need):
//
//   the native addons one by one (a dlopen each), then the store's own modules; the
//   compression codecs, which the store loads on first use only; SQLite databases opened
//   one after another as shared/sqlite.ts opens them; their page caches after a metadata
//   workload; PRAGMA shrink_memory; the log store with its partitions; and, in a probe of
//   its own, Node's built-in node:sqlite opening the same databases, for comparison.
//
// With BENCH_IDLE_BASELINE=DIR (a checkout of the commit before a change, with its
// node_modules) the same probes run there too, interleaved, and both columns are printed.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { PARTS } from './idle-footprint.ts';
import { cell, fixed } from './report.ts';
import { spread } from './statistics.ts';

const RUNS = Number(process.env.BENCH_IDLE_RUNS ?? 3);
const ROOT = resolve(import.meta.dirname, '..');
const BASELINE_ROOT = process.env.BENCH_IDLE_BASELINE;
/** The metadata databases an edge daemon opens: topics, groups, producers, transactions, MQTT. */
const DATABASES = 5;
/** Rows written to each database by the metadata workload: a few thousand sessions' or offsets' worth. */
const METADATA_ROWS = 2_000;
const METADATA_ROW_BYTES = 200;
/** Partitions of the log-store probe, as topics of PARTITIONS_PER_TOPIC partitions. */
const PARTITIONS = 1_000;
const PARTITIONS_PER_TOPIC = 250;

interface Step { name: string; code: string }

/** The parts the daemon loads before the store, loaded first and not reported. */
const BEFORE_STORAGE = PARTS.slice(0, PARTS.findIndex((part) => part.name === 'storage'));

const SQLITE3_STEPS: Step[] = [
  { name: 'sqlite3 addon (dlopen)', code: "await import('sqlite3');" },
  { name: '@node-rs/crc32 addon (dlopen)', code: "await import('@node-rs/crc32');" },
  { name: "the store's own modules", code: "const { LogStore } = await import('./edge/storage/index.ts'); globalThis.LogStore = LogStore;" },
  { name: 'lz4 codec on first use (lz4-napi)', code: "const { compress } = await import('./shared/kafka/compression/registry.ts'); compress('lz4', Buffer.alloc(64));" },
  { name: 'snappy codec on first use (snappy)', code: "const { compress } = await import('./shared/kafka/compression/registry.ts'); compress('snappy', Buffer.alloc(64));" },
  ...Array.from({ length: DATABASES }, (_, index) => ({
    name: `database ${index + 1} opened (shared/sqlite.ts)`,
    code: `const { Database } = await import('./shared/sqlite.ts'); const database = await Database.open(join(directory, 'db${index}.sqlite')); await database.exec('CREATE TABLE IF NOT EXISTS rows (key TEXT PRIMARY KEY, value BLOB)'); databases.push(database);`,
  })),
  {
    name: `${METADATA_ROWS.toLocaleString('en')} rows of ${METADATA_ROW_BYTES} B written to each`,
    code: `for (const database of databases) await database.transaction(async () => { for (let row = 0; row < ${METADATA_ROWS}; row += 1) await database.run('INSERT OR REPLACE INTO rows VALUES (?, ?)', ['key' + row, Buffer.alloc(${METADATA_ROW_BYTES}, row)]); });`,
  },
  { name: 'every row read back', code: "for (const database of databases) await database.all('SELECT * FROM rows');" },
  { name: 'PRAGMA shrink_memory on each', code: "for (const database of databases) await database.exec('PRAGMA shrink_memory');" },
  { name: 'databases closed', code: 'for (const database of databases) await database.close();' },
  {
    name: `log store, ${PARTITIONS.toLocaleString('en')} partitions created`,
    code: `const { Registry } = await import('prom-client'); const { DEFAULT_STORAGE_CONFIG, DEFAULT_TOPIC_CONFIG } = await import('./shared/config/topic-settings.ts'); const { silentLogger } = await import('./shared/logger.ts');
      globalThis.storeOptions = () => ({ dataDir: join(directory, 'store'), logger: silentLogger(), registry: new Registry(), storage: { ...DEFAULT_STORAGE_CONFIG, retentionCheckCron: '0 0 1 1 *' }, topicDefaults: DEFAULT_TOPIC_CONFIG });
      store = await globalThis.LogStore.open(globalThis.storeOptions());
      for (let topic = 0; topic < ${PARTITIONS / PARTITIONS_PER_TOPIC}; topic += 1) await store.createTopic('probe-' + topic, { partitions: ${PARTITIONS_PER_TOPIC} });`,
  },
  {
    name: 'one record appended to each partition',
    code: `const { encodeRecordBatch } = await import('./shared/kafka/record-batch.ts');
      const batch = encodeRecordBatch({ records: [{ value: Buffer.alloc(100) }] });
      for (let topic = 0; topic < ${PARTITIONS / PARTITIONS_PER_TOPIC}; topic += 1) await Promise.all(Array.from({ length: ${PARTITIONS_PER_TOPIC} }, (_, partition) => store.partition('probe-' + topic, partition).append(batch)));`,
  },
  { name: 'log store closed and reopened (recovery)', code: 'await store.close(); store = await globalThis.LogStore.open(globalThis.storeOptions());' },
];

const NODE_SQLITE_STEPS: Step[] = [
  { name: 'node:sqlite loaded', code: "const { DatabaseSync } = await import('node:sqlite'); globalThis.DatabaseSync = DatabaseSync;" },
  ...Array.from({ length: DATABASES }, (_, index) => ({
    name: `database ${index + 1} opened (node:sqlite)`,
    code: `const database = new globalThis.DatabaseSync(join(directory, 'db${index}.sqlite')); database.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; CREATE TABLE IF NOT EXISTS rows (key TEXT PRIMARY KEY, value BLOB)'); databases.push(database);`,
  })),
];

/** One probe process: the parts before storage, then each step, with RSS and RssAnon (MiB) after a full GC after each. */
function probe(root: string, steps: Step[]): { rssMB: number; anonymousMB: number }[] {
  const sample = "globalThis.gc(); globalThis.gc(); { const status = readFileSync('/proc/self/status', 'utf8'); const kib = (field) => Number(new RegExp(field + ':\\\\s+(\\\\d+)').exec(status)[1]); sizes.push([kib('VmRSS') / 1024, kib('RssAnon') / 1024]); }";
  const script = [
    "const { enableCompileCache } = await import('node:module'); enableCompileCache?.();",
    "import { mkdtempSync, readFileSync, rmSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';",
    "const directory = mkdtempSync(join(tmpdir(), 'tributary-storage-probe-')); const databases = []; let store;",
    'const sizes = [];',
    'try {',
    ...BEFORE_STORAGE.map((part) => part.load),
    sample,
    ...steps.map((step) => `{ ${step.code} } ${sample}`),
    '} finally { await store?.close(); rmSync(directory, { recursive: true, force: true }); }',
    'console.log(JSON.stringify(sizes));',
  ].join('\n');
  const output = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  return (JSON.parse(output.trim().split('\n').pop()!) as [number, number][]).map(([rssMB, anonymousMB]) => ({ rssMB, anonymousMB }));
}

const megabytes = (values: number[]): string => cell(spread(values), fixed(2));

function report(title: string, steps: Step[]): void {
  const roots = BASELINE_ROOT === undefined ? { here: ROOT } : { here: ROOT, baseline: BASELINE_ROOT };
  const samples: Record<string, { rssMB: number; anonymousMB: number }[][]> = Object.fromEntries(Object.keys(roots).map((name) => [name, []]));
  for (let run = 0; run < RUNS; run += 1) {
    for (const [name, root] of Object.entries(roots)) samples[name]!.push(probe(root, steps));
  }
  console.log(`  ${title} (MB after a full GC, median of ${RUNS}; RSS +added (anonymous +added))`);
  const start = (name: string) => megabytes(samples[name]!.map((sizes) => sizes[0]!.rssMB));
  console.log(`    ${'before the store (the idle probe\'s parts)'.padEnd(44)} ${Object.keys(roots).map((name) => `${name} ${start(name)}`).join('   ')}`);
  steps.forEach((step, index) => {
    const column = (name: string) => {
      const added = (field: 'rssMB' | 'anonymousMB') => megabytes(samples[name]!.map((sizes) => sizes[index + 1]![field] - sizes[index]![field]));
      return `${name} +${added('rssMB')} (+${added('anonymousMB')})`;
    };
    console.log(`    ${step.name.padEnd(44)} ${Object.keys(roots).map(column).join('   ')}`);
  });
}

export async function storagePhase(): Promise<void> {
  console.log(`Storage footprint: what each piece of the store adds, loaded one after another in a probe process${BASELINE_ROOT === undefined ? '' : `, here and in ${BASELINE_ROOT}`}`);
  report('the sqlite3 package and the store', SQLITE3_STEPS);
  report('for comparison, not used: Node\'s built-in node:sqlite', NODE_SQLITE_STEPS);
}
