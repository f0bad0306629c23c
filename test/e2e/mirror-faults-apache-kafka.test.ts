// The mirror against a three-node Apache Kafka 4.4 cluster as the central (replication
// factor 3, min.insync.replicas 2, no automatic topic creation: the mirror creates its
// topics with replicationFactor 3), one cluster for the scenarios of this file:
//
// - the fault scenario of mirror-fault-scenario.ts, whose central faults here are the
//   broker that leads the partition with the largest backlog killed with SIGKILL while the
//   mirror sends to it, so that leadership moves under it, and once that partition has
//   caught up under its new leader, a shutdown and start of the whole cluster.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApacheKafka } from '../helpers/apache-kafka.ts';
import { kafkaClient, waitFor } from '../mirror/cluster.ts';
import { runFaultScenario } from './mirror-fault-scenario.ts';

let kafka: ApacheKafka;

test.before(async () => {
  kafka = await ApacheKafka.start({ nodes: 3, config: { 'auto.create.topics.enable': 'false' } });
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

test.run();
