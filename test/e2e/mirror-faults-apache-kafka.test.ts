// The mirror against a three-node Apache Kafka 4.4 cluster as the central (replication
// factor 3, min.insync.replicas 2, no automatic topic creation: the mirror creates its
// topics with replicationFactor 3), one cluster for the scenarios of this file:
//
// - the fault scenario of mirror-fault-scenario.ts, whose central faults here are the
//   broker that leads the partition with the largest backlog killed with SIGKILL while the
//   mirror sends to it, so that leadership moves under it, and once that partition has
//   caught up under its new leader, a shutdown and start of the whole cluster;
// - a broker that dies while the rest of the cluster serves: only the partitions it leads
//   wait, the link is not taken for down, and the others go on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Producer } from '@platformatic/kafka';
import { ApacheKafka } from '../helpers/apache-kafka.ts';
import { Daemon } from '../helpers/daemon.ts';
import { assertExactCopy, kafkaClient, readPartition, waitFor } from '../mirror/cluster.ts';
import { runFaultScenario } from './mirror-fault-scenario.ts';

let kafka: ApacheKafka;

test.before(async () => {
  try {
    kafka = await ApacheKafka.start({ nodes: 3, config: { 'auto.create.topics.enable': 'false' } });
  } catch (error) {
    // uvu does not print a hook's error; the runner shows what the file wrote.
    console.error('starting the 3-node Apache Kafka cluster failed:', error);
    throw error;
  }
});

test.after(async () => {
  await kafka?.cleanup();
});

test('200,000 records reach a 3-node Apache Kafka exactly once and in order through cuts, mirror restarts, an edge SIGKILL, a killed partition leader and a cluster restart', async () => {
  await runFaultScenario({
    bootstrap: kafka.bootstrap,
    brokerPorts: kafka.nodes.map((node) => node.port),
    mirrorSettings: { target: { replicationFactor: 3 } },
    faults: async ({ progress, backlogs }) => {
      // The partition with the most records still to send: its leader dies under the mirror.
      const [victim] = await backlogs();
      assert.ok(victim !== undefined && victim.atEdge > victim.atCentral, `a partition still being sent: ${JSON.stringify(victim, (_, value) => (typeof value === 'bigint' ? value.toString() : value))}`);
      const leader = await kafka.leaderOf(victim.target, victim.partition);
      await kafka.kill(leader);
      // Everything its edge held at the kill arrives under another leader, while the first is dead.
      const reader = kafkaClient(kafka.bootstrap, 'leader-check');
      try {
        await waitFor(`${victim.target}/${victim.partition} to reach ${victim.atEdge} under a new leader`, async () => ((await kafka.leaderOf(victim.target, victim.partition)) !== leader && (await reader.offsets(victim.target, victim.partition)).highWatermark >= victim.atEdge ? true : undefined));
      } finally {
        await reader.close();
      }
      await progress(95_000, `after node ${leader} was killed`);
      await kafka.restart(leader);
      await kafka.stopAll();
      await kafka.restartAll();
      await progress(110_000, 'after the whole cluster restarted');
    },
  });
});

const SPREAD_TOPIC = 'spread';
const SPREAD_PARTITIONS = 6;
/** Records each partition on a live broker must gain while another broker is dead. */
const GROWTH_WHILE_DEAD = 200n;

test('a broker that dies stalls only the partitions it leads: the link stays up and the other partitions go on', async () => {
  // Every node up, whatever the scenario before left behind.
  await kafka.restartAll();
  // Replication factor 1: a partition whose broker is dead has no other replica, and the
  // partitions of the live brokers have no dead follower to wait for (acks=all). The broker
  // that dies is the mirror's only bootstrap broker: the mirror must reach the others anyway.
  const victim = kafka.nodes[0]!;
  const edge = await Daemon.start({
    config: {
      node: { id: 'edge-spread' },
      topics: { overrides: { [SPREAD_TOPIC]: { partitions: SPREAD_PARTITIONS } } },
      mirror: { target: { bootstrap: [`127.0.0.1:${victim.port}`], replicationFactor: 1, requestTimeoutMs: 5_000, connectTimeoutMs: 2_000 }, topics: { include: [SPREAD_TOPIC] }, link: { retryBackoffMinMs: 100, retryBackoffMaxMs: 1_000 } },
    },
  });
  const target = `edge-spread.${SPREAD_TOPIC}`;
  const reader = kafkaClient(kafka.bootstrap, 'spread-reader');
  let producing = true;
  const producer = new Producer({ clientId: 'spread-load', bootstrapBrokers: [`127.0.0.1:${edge.ports.kafka}`], acks: -1 });
  const load = (async () => {
    for (let sent = 0; producing; sent += SPREAD_PARTITIONS * 10) {
      await producer.send({ messages: Array.from({ length: SPREAD_PARTITIONS * 10 }, (_, index) => ({ topic: SPREAD_TOPIC, partition: index % SPREAD_PARTITIONS, value: Buffer.from(`spread-${sent + index}`) })) });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  let dead: number | undefined;
  try {
    const highWatermark = async (partition: number) => (await reader.offsets(target, partition)).highWatermark;
    await waitFor('every partition mirrored', async () => {
      for (let partition = 0; partition < SPREAD_PARTITIONS; partition += 1) if ((await highWatermark(partition)) === 0n) return undefined;
      return true;
    });
    const leaders = await Promise.all(Array.from({ length: SPREAD_PARTITIONS }, (_, partition) => kafka.leaderOf(target, partition)));
    dead = victim.nodeId;
    const live = leaders.flatMap((leader, partition) => (leader === dead ? [] : [partition]));
    assert.ok(live.length > 0 && live.length < SPREAD_PARTITIONS, `the partitions are spread over the brokers: ${leaders.join(', ')}`);
    const linkEventsBefore = edge.logLines.filter((line) => line.event === 'link').length;
    await kafka.kill(dead);
    const atKill = await Promise.all(live.map(highWatermark));
    await waitFor(`partitions ${live.join(', ')} to gain ${GROWTH_WHILE_DEAD} records while node ${dead} is dead`, async () => {
      const now = await Promise.all(live.map(highWatermark));
      return now.every((value, index) => value >= atKill[index]! + GROWTH_WHILE_DEAD) ? true : undefined;
    });
    assert.equal(edge.logLines.filter((line) => line.event === 'link').slice(linkEventsBefore), [], 'the link was not taken for down');
    await edge.logLine((line) => line.event === 'partition-unreachable', 'the partitions of the dead broker retried on their own');

    await kafka.restart(dead);
    dead = undefined;
    producing = false;
    await load;
    const local = kafkaClient(`127.0.0.1:${edge.ports.kafka}`, 'spread-edge');
    try {
      for (let partition = 0; partition < SPREAD_PARTITIONS; partition += 1) {
        const { highWatermark: end } = await local.offsets(SPREAD_TOPIC, partition);
        await waitFor(`${target}/${partition} caught up`, async () => ((await highWatermark(partition)) === end ? true : undefined));
        assertExactCopy(await readPartition(local, SPREAD_TOPIC, partition), await readPartition(reader, target, partition), `${target}/${partition}`);
      }
    } finally {
      await local.close();
    }
  } finally {
    producing = false;
    await load.catch(() => undefined);
    await producer.close().catch(() => undefined);
    await reader.close();
    if (dead !== undefined) await kafka.restart(dead).catch(() => undefined);
    await edge.cleanup();
  }
});

test.run();
