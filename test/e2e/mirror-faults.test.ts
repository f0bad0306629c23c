// The mirror's fault scenario (mirror-fault-scenario.ts) with `tributary central` as the
// central cluster: its fault is a restart, on the same port and data, while the mirrors send.
import { test } from 'uvu';
import { Daemon } from '../helpers/daemon.ts';
import { freePort } from '../mirror/cluster.ts';
import { runFaultScenario } from './mirror-fault-scenario.ts';

test('200,000 records reach `tributary central` exactly once and in order through cuts, mirror restarts, an edge SIGKILL and a central restart', async () => {
  const port = await freePort();
  const config = { node: { id: 'central' }, listeners: { kafka: { port } } };
  let central = await Daemon.start({ subcommand: 'central', config });
  try {
    await runFaultScenario({
      bootstrap: `127.0.0.1:${port}`,
      brokerPorts: [port],
      mirrorSettings: {},
      faults: async ({ progress }) => {
        // The central goes away and comes back on the same port and data.
        await central.stop();
        central = await central.restart({ subcommand: 'central', config });
        await progress(110_000, 'after the central restarted');
      },
    });
  } finally {
    await central.cleanup();
  }
});

test.run();
