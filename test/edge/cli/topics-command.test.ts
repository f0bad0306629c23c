// `tributary topics` against a real edge daemon, as an operator runs it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { Daemon } from '../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../../helpers/certificates.ts';
import { hashPassword } from '../../../edge/auth/password-hash.ts';
import { lines, runCli } from './run-cli.ts';

let daemon: Daemon;
let bootstrap: string;

test.before(async () => {
  daemon = await Daemon.start();
  bootstrap = `127.0.0.1:${daemon.ports.kafka}`;
});

test.after(async () => {
  await daemon.cleanup();
});

test('create, list, describe, add partitions, delete', async () => {
  const created = await runCli(['topics', 'create', '--topic', 'readings', '--partitions', '2', '--config', 'retention.ms=3600000', '--bootstrap', bootstrap]);
  assert.is(created.code, 0, created.stderr);
  assert.is(created.stdout.trim(), 'created topic readings with 2 partitions');
  await runCli(['topics', 'create', 'alerts', '--bootstrap', bootstrap]);

  const listed = await runCli(['topics', 'list', '--bootstrap', bootstrap]);
  assert.equal(lines(listed.stdout), ['alerts', 'readings']);

  const described = await runCli(['topics', 'describe', '--topic', 'readings', '--json', '--bootstrap', bootstrap]);
  assert.is(described.code, 0, described.stderr);
  const [readings] = JSON.parse(described.stdout) as { name: string; partitions: { partition: number; logEndOffset: string }[]; configs: Record<string, string> }[];
  assert.is(readings!.name, 'readings');
  assert.equal(readings!.partitions.map((partition) => [partition.partition, partition.logEndOffset]), [[0, '0'], [1, '0']]);
  assert.is(readings!.configs['retention.ms'], '3600000');

  const text = await runCli(['topics', 'describe', 'readings', '--bootstrap', bootstrap]);
  assert.match(text.stdout, /^Topic: readings\tTopicId: \S+\tPartitionCount: 2\tConfigs: .*retention\.ms=3600000/);
  assert.match(text.stdout, /\tPartition: 1\tLeader: 1\tLogStartOffset: 0\tLogEndOffset: 0\tRecords: 0/);

  const altered = await runCli(['topics', 'alter', '--topic', 'readings', '--partitions', '3', '--bootstrap', bootstrap]);
  assert.is(altered.stdout.trim(), 'altered topic readings: partitions 2 -> 3');
  const after = JSON.parse((await runCli(['topics', 'describe', 'readings', '--json', '--bootstrap', bootstrap])).stdout) as { partitions: unknown[] }[];
  assert.is(after[0]!.partitions.length, 3);

  const deleted = await runCli(['topics', 'delete', '--topic', 'alerts', '--bootstrap', bootstrap]);
  assert.is(deleted.stdout.trim(), 'deleted topic alerts');
  assert.equal(lines((await runCli(['topics', 'list', '--bootstrap', bootstrap])).stdout), ['readings']);
});

test('a wrong topic name is named, with the topics that exist, and exits 1', async () => {
  await runCli(['topics', 'create', 'sensors', '--bootstrap', bootstrap]);
  for (const args of [['topics', 'describe', '--topic', 'sensros'], ['topics', 'delete', 'sensros'], ['topics', 'alter', 'sensros', '--partitions', '4']]) {
    const result = await runCli([...args, '--bootstrap', bootstrap]);
    assert.is(result.code, 1, args.join(' '));
    assert.match(result.stderr, /^tributary: no topic named sensros; topics: .*sensors/);
    assert.is(result.stdout, '');
  }
});

test('creating a topic twice is an error unless --if-not-exists', async () => {
  await runCli(['topics', 'create', 'twice', '--bootstrap', bootstrap]);
  const again = await runCli(['topics', 'create', 'twice', '--bootstrap', bootstrap]);
  assert.is(again.code, 1);
  assert.match(again.stderr, 'creating topic twice failed: the broker answered TOPIC_ALREADY_EXISTS');
  const tolerant = await runCli(['topics', 'create', 'twice', '--if-not-exists', '--bootstrap', bootstrap]);
  assert.is(tolerant.code, 0);
  assert.is(tolerant.stdout.trim(), 'topic twice already exists');
});

test('partitions cannot be removed, and a config change goes to the broker with IncrementalAlterConfigs', async () => {
  await runCli(['topics', 'create', 'shrink', '--partitions', '2', '--bootstrap', bootstrap]);
  const fewer = await runCli(['topics', 'alter', 'shrink', '--partitions', '1', '--bootstrap', bootstrap]);
  assert.is(fewer.code, 1);
  assert.match(fewer.stderr, 'topic shrink has 2 partitions; partitions can be added, not removed');
  const config = await runCli(['topics', 'alter', 'shrink', '--config', 'retention.ms=1000', '--bootstrap', bootstrap]);
  assert.is(config.code, 0, config.stderr);
  assert.is(config.stdout, 'altered topic shrink: retention.ms=1000\n');
});

test('an unreachable broker is reported in one line and exits 1', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const result = await runCli(['topics', 'list', '--bootstrap', `127.0.0.1:${port}`]);
  assert.is(result.code, 1);
  assert.is(result.stderr, `tributary: cannot reach the broker at 127.0.0.1:${port}: connection refused\n`);
});

test('usage errors name the option', async () => {
  const result = await runCli(['topics', 'create', '--partitions', 'many', 'x', '--bootstrap', bootstrap]);
  assert.is(result.code, 1);
  assert.match(result.stderr, '--partitions must be a whole number of at least 1, not "many"');
  const unknown = await runCli(['topics', 'frobnicate', '--bootstrap', bootstrap]);
  assert.match(unknown.stderr, 'unknown action "frobnicate"');
});

test('against a TLS listener that requires SASL, the CLI takes its CA and credentials from the environment', async () => {
  const secured = await Daemon.start({
    config: {
      listeners: { kafkaTls: { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY } },
      kafka: { sasl: { listeners: ['tls'], users: [{ username: 'operator', passwordHash: await hashPassword('ops-secret') }] } },
    },
  });
  try {
    const tlsBootstrap = `127.0.0.1:${secured.ports.kafkaTls}`;
    const env = { TRIBUTARY_KAFKA_CA_FILE: BROKER_CERTIFICATE, TRIBUTARY_KAFKA_SASL_USERNAME: 'operator', TRIBUTARY_KAFKA_SASL_PASSWORD: 'ops-secret' };
    const created = await runCli(['topics', 'create', '--topic', 'secured', '--bootstrap', tlsBootstrap], { env });
    assert.is(created.code, 0, created.stderr);
    const listed = await runCli(['topics', 'list', '--bootstrap', tlsBootstrap], { env });
    assert.equal(lines(listed.stdout), ['secured']);

    const refused = await runCli(['topics', 'list', '--bootstrap', tlsBootstrap], { env: { ...env, TRIBUTARY_KAFKA_SASL_PASSWORD: 'wrong' } });
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /SASL|authentication/i);
    assert.not.match(refused.stderr, /\n\s+at /, 'one sentence, no stack');

    const unreadable = await runCli(['topics', 'list', '--bootstrap', tlsBootstrap], { env: { TRIBUTARY_KAFKA_CA_FILE: '/nonexistent/ca.pem' } });
    assert.match(unreadable.stderr, /TRIBUTARY_KAFKA_CA_FILE: cannot read \/nonexistent\/ca\.pem/);
  } finally {
    await secured.cleanup();
  }
});

test.run();
