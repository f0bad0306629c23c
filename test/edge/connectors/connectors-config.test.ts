// The connectors: section of the YAML: the README's examples are valid as written, every
// default is filled in, and a mistake is reported with the file, line and key of the one
// connector type the entry names; what the schema cannot see (two connectors with one
// name) stops the daemon at start, naming both.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../../shared/config/load.ts';
import { Daemon } from '../../helpers/daemon.ts';

const README_EXAMPLES = `
connectors:
  - name: plc-1
    type: modbus-tcp
    host: 127.0.0.1
    port: 5020
    unitId: 1
    pollMs: 1000
    registers: [{ name: temp, address: 0, type: holding, format: int16 }]
    to: plc-readings
  - name: webhook
    type: http-sink
    from: alerts
    url: http://127.0.0.1:9000/ingest
`;

function failure(yaml: string): string {
  try {
    parseConfig(yaml, 'edge.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

test('the README\'s examples parse, with every default filled in', () => {
  const [plc, webhook] = parseConfig(README_EXAMPLES, 'edge.yaml').connectors;
  assert.equal(plc, {
    name: 'plc-1', type: 'modbus-tcp', host: '127.0.0.1', port: 5020, unitId: 1, pollMs: 1000, timeoutMs: 2000, retryBackoffMinMs: 1000, retryBackoffMaxMs: 60_000, to: 'plc-readings',
    registers: [{ name: 'temp', address: 0, type: 'holding', format: 'int16', byteOrder: 'big', wordOrder: 'big' }],
  });
  assert.equal(webhook, {
    name: 'webhook', type: 'http-sink', from: 'alerts', url: 'http://127.0.0.1:9000/ingest', retryBackoffMinMs: 1000, retryBackoffMaxMs: 60_000,
    headers: {}, batchRecords: 500, batchBytes: 1_048_576, lingerMs: 50, maxInFlight: 1, timeoutMs: 10_000, onRejected: 'retry', startAt: 'earliest',
  });
});

test('mistakes name the file, the line and the key of the type the entry names', () => {
  assert.is(failure('connectors:\n  - name: plc-1\n    type: modbus-tcp\n    host: plc\n    pollMs: 5\n    registers: [{ name: t, address: 0 }]\n    to: x\n'), 'edge.yaml:5: connectors.0.pollMs: must be >= 10, got 5');
  assert.is(failure('connectors:\n  - name: w\n    type: http-sink\n    from: alerts\n    url: http://x\n    batchSize: 10\n'), 'edge.yaml:6: connectors.0.batchSize: unknown key (allowed: name, retryBackoffMinMs, retryBackoffMaxMs, type, from, url, headers, batchRecords, batchBytes, lingerMs, maxInFlight, timeoutMs, onRejected, startAt)');
  assert.is(failure('connectors:\n  - name: x\n    type: kafka-connect\n'), 'edge.yaml:3: connectors.0.type: must be one of "modbus-tcp", "opcua", "file-source", "http-sink", "file-sink", got "kafka-connect"');
  assert.match(failure('connectors:\n  - name: x\n    type: opcua\n    endpointUrl: http://plc\n    nodes: [{ nodeId: "ns=1;s=T" }]\n    to: t\n'), 'edge.yaml:4: connectors.0.endpointUrl: must match pattern "^opc\\.tcp://"');
  assert.match(failure('connectors:\n  - name: f\n    type: file-sink\n    path: /tmp/x\n'), "edge.yaml:2: connectors.0: must have required property 'from'");
  assert.match(failure('mqtt:\n  routes:\n    - { filter: "spBv1.0/#", topic: plant, sparkplug: per-device }\n'), 'edge.yaml:3: mqtt.routes.0.sparkplug: must be one of "per-payload", "per-metric", got "per-device"');
});

test('two connectors with one name stop the daemon at start, naming both', async () => {
  const started = await Daemon.start({ config: { connectors: [
    { name: 'out', type: 'file-sink', from: 'a', path: '/tmp/tributary-never-written-a' },
    { name: 'out', type: 'file-sink', from: 'b', path: '/tmp/tributary-never-written-b' },
  ] } }).then(async (daemon) => { await daemon.cleanup(); return undefined; }, (error: Error) => error);
  assert.ok(started, 'the daemon must not start');
  assert.match(started!.message, 'connectors[1].name: "out" is the name of connectors[0] too');
});

test.run();
