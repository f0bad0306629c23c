// The top-level folders and what each may import from the others. shared/ holds the
// contracts and plumbing more than one of them uses (the heartbeat, the mirror's report,
// the Kafka client, record views, listeners and the admin HTTP server); everything else
// reaching across is composition, listed here with its reason, so that a new reach into
// another folder's internals fails this test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importsOf, mutualImports, sourceFiles } from './helpers/source-imports.ts';

const ROOMS = ['edge', 'mirror', 'cloud', 'firmware-sim'];

/** Imports across folders that are composition, not a shared contract: who embeds whom. */
const COMPOSITION: Record<string, string> = {
  // The edge daemon runs the mirror in process when one is configured, and loads it lazily.
  'edge/daemon/edge-daemon.ts -> mirror/index.ts': 'the embedded mirror',
  'edge/daemon/edge-daemon.ts -> mirror/status-route.ts': 'the embedded mirror\'s /api/mirror route',
  // The embedded single-node central is an edge broker core with its own configuration.
  'cloud/central.ts -> edge/daemon/broker-core.ts': 'the embedded central is an edge broker core',
  'cloud/central.ts -> edge/storage/index.ts': 'the embedded central keeps its log in the edge\'s storage engine',
};

test('edge/, mirror/, cloud/ and firmware-sim/ import from each other only through shared/, or as listed composition', () => {
  const crossing: string[] = [];
  for (const room of ROOMS) {
    for (const file of sourceFiles(room)) {
      for (const imported of importsOf(file)) {
        const target = imported.split('/')[0]!;
        if (target !== room && ROOMS.includes(target)) crossing.push(`${file} -> ${imported}`);
      }
    }
  }
  assert.ok(sourceFiles('mirror').length > 10, 'the mirror\'s sources were found');
  assert.equal(crossing.filter((edge) => COMPOSITION[edge] === undefined), [], 'imports across folders that are neither shared contracts nor listed composition');
  assert.equal(Object.keys(COMPOSITION).filter((edge) => !crossing.includes(edge)), [], 'listed composition that no longer exists');
});

/**
 * Files that refer to each other's types only: a handler is given the broker it runs in, a
 * route the view it serves. Erased before the code runs, so no load order depends on them;
 * listed so that a new one is a decision, not an accident.
 */
const TYPE_ONLY_CYCLES = [
  'edge/mqtt/broker/broker.ts <-> edge/mqtt/broker/connection.ts',
  'edge/mqtt/broker/broker.ts <-> edge/mqtt/broker/handlers/publish.ts',
  'edge/mqtt/broker/connection.ts <-> edge/mqtt/broker/handlers/index.ts',
  'mirror/mirror.ts <-> mirror/status-route.ts',
  'cloud/fleet-routes.ts <-> cloud/fleet.ts',
  'firmware-sim/link/control.ts <-> firmware-sim/link/link.ts',
];

test('no two files of the product import each other at run time, and only the listed pairs refer back to each other\'s types', () => {
  const files = [...ROOMS, 'shared', 'bin'].flatMap((room) => sourceFiles(room));
  assert.equal(mutualImports(files, { runtimeOnly: true }), []);
  assert.equal(mutualImports(files).map((pair) => pair.join(' <-> ')).sort(), [...TYPE_ONLY_CYCLES].sort());
});

test.run();
