// A mirror section with a mistake is refused at start, with the key that holds it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { parseConfig } from '../../shared/config/load.ts';
import { isTributaryError } from '../../shared/errors.ts';
import { silentLogger } from '../../shared/logger.ts';
import { LocalEndpoint } from '../../mirror/local-endpoint.ts';
import { Mirror } from '../../mirror/mirror.ts';
import { deliveredOffsetHook } from '../../mirror/embedded.ts';

const noLog = { listTopics: () => [], describeTopic: () => undefined, createTopic: async () => ({ partitions: 1 }), createPartitions: async () => ({ partitions: 1 }), partition: () => { throw new Error('not used'); } };

function startWith(mirrorYaml: string, targetYaml = ''): unknown {
  const config = parseConfig(`node: { id: pump-7 }\nmirror:\n  target: { bootstrap: ["127.0.0.1:1"]${targetYaml} }\n${mirrorYaml}`, 'edge.yaml');
  try {
    const mirror = Mirror.start({ config: config.mirror, edgeId: config.node.id, edge: new LocalEndpoint(noLog, async () => undefined, () => undefined), registry: new Registry(), logger: silentLogger() });
    void mirror.close();
    return undefined;
  } catch (error) {
    return error;
  }
}

test('mistakes in the mirror section name their key', () => {
  const cases: [string, RegExp][] = [
    ['  topics: { template: "{edge}.{topik}" }', /^mirror\.topics\.template: unknown placeholder \{topik\}/],
    ['  topics: { template: "{edge}.all" }', /^mirror\.topics\.template: "\{edge\}\.all" must contain \{topic\}/],
    ['  topics: { include: ["ok", "/(broken/"] }', /^mirror\.topics\.include\[1\]: /],
    ['  topics: { priorities: [{ match: "/[/", priority: 3 }] }', /^mirror\.topics\.priorities\[0\]\.match: /],
    ['  link: { syncWindows: [{ cron: "every night", durationMinutes: 10 }] }', /^mirror\.link\.syncWindows\[0\]\.cron: "every night" is not a valid cron expression/],
    ['  reverse: [{ from: "commands.{node}", to: commands }]', /^mirror\.reverse\[0\]\.from: unknown placeholder \{node\}/],
  ];
  for (const [yaml, message] of cases) {
    const error = startWith(yaml);
    assert.ok(isTributaryError(error, 'CONFIG_INVALID'), `${yaml}: ${String(error)}`);
    assert.match((error as Error).message, message);
  }
  const noReplicas = startWith('', ', replicationFactor: 0');
  assert.ok(isTributaryError(noReplicas, 'CONFIG_INVALID'), String(noReplicas));
  assert.match((noReplicas as Error).message, /^mirror\.target\.replicationFactor: 0 replicas cannot hold a topic/);
  assert.is(startWith('', ', replicationFactor: 3'), undefined, 'a count of replicas is fine');
});

test('the YAML itself is checked by the schema: unknown keys and bad values with file and line', () => {
  assert.throws(() => parseConfig('mirror:\n  target: { bootstrap: ["nohost"] }\n', 'edge.yaml'), /edge\.yaml:2: mirror\.target\.bootstrap\.0: must match pattern/);
  assert.throws(() => parseConfig('mirror:\n  link: { compression: brotli }\n', 'edge.yaml'), /edge\.yaml:2: mirror\.link\.compression: must be one of "zstd", "gzip", "lz4", "snappy", "none"/);
  assert.throws(() => parseConfig('mirror:\n  topics: { includes: [a] }\n', 'edge.yaml'), /edge\.yaml:2: mirror\.topics\.includes: unknown key/);
});

test('retention asks the mirror only about the partitions it takes, and counts nothing delivered before it knows', () => {
  const config = parseConfig('mirror:\n  target: { bootstrap: ["127.0.0.1:1"] }\n  topics: { include: ["sensors*"], exclude: ["sensors.debug"] }\n  reverse: [{ from: "commands.{edge}", to: commands }]\n', 'edge.yaml');
  const committed = new Map([['sensors/1', 42n]]);
  const hook = deliveredOffsetHook(config, () => ({
    offsets: {
      commitOffsets: async () => ({ topics: [] }),
      fetchOffsets: (request) => ({ topics: [{ name: request.topics![0]!.name, partitions: [{ partitionIndex: request.topics![0]!.partitionIndexes[0]!, committedOffset: committed.get(`${request.topics![0]!.name}/${request.topics![0]!.partitionIndexes[0]}`) ?? -1n }] }] }),
    },
  }))!;
  assert.is(hook('sensors', 1), 42n, 'the committed delivered offset');
  assert.is(hook('sensors', 0), 0n, 'nothing committed yet: nothing delivered');
  assert.is(hook('sensors.debug', 0), undefined, 'excluded: not mirrored, retention as usual');
  assert.is(hook('commands', 0), undefined, 'the local topic of a reverse rule is not mirrored');
  assert.is(deliveredOffsetHook(parseConfig('', 'edge.yaml'), () => ({})), undefined, 'no mirror configured: no hook');
});

test.run();
