// The OPC UA source inside `tributary edge`, against node-opcua's own server: data
// changes as records with security None and with SignAndEncrypt (a server whose
// certificate is not trusted is refused), a server restart (the connector reconnects and
// subscribes again), and a SIGKILL of the daemon (records kept; the current values the new
// subscription repeats are not appended twice).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../helpers/daemon.ts';
import { readPartition } from '../kafka/clients/support/log-reader.ts';
import { OpcUaPeer } from './support/opcua-peer.ts';
import { connectorStatus, eventually } from './support/records.ts';

interface Change { key: string; node: string; name: string; value: unknown; type: string; status: string; sourceTimestamp: string }

async function changes(daemon: Daemon): Promise<Change[]> {
  const stored = await readPartition(daemon.ports.kafka!, 'opcua-values', 0).catch(() => ({ records: [] }));
  return stored.records.map((record) => ({ key: record.key!.toString(), ...JSON.parse(record.value!.toString()) }));
}

function source(peer: OpcUaPeer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    connectors: [{
      name: 'line-plc', type: 'opcua', endpointUrl: peer.endpointUrl, to: 'opcua-values', publishingIntervalMs: 100, samplingIntervalMs: 50,
      retryBackoffMinMs: 100, retryBackoffMaxMs: 1000,
      nodes: [{ nodeId: 'ns=1;s=Temperature', name: 'temp' }, { nodeId: 'ns=1;s=Running' }, { nodeId: 'ns=1;s=Counter', name: 'count' }],
      ...extra,
    }],
  };
}

const byNode = (found: Change[], name: string) => found.filter((change) => change.name === name);

test('security None: each data change of a monitored node is a record keyed by the connector', async () => {
  const peer = await OpcUaPeer.start();
  const daemon = await Daemon.start({ config: source(peer) });
  try {
    const initial = await eventually(() => changes(daemon), (found) => found.length >= 3, 'the current value of each node');
    assert.equal(initial.map((change) => [change.key, change.name, change.value, change.type, change.status]).sort(), [
      ['line-plc', 'count', 0, 'Int32', 'Good'], ['line-plc', 'ns=1;s=Running', true, 'Boolean', 'Good'], ['line-plc', 'temp', 20.5, 'Double', 'Good'],
    ]);
    await peer.set('Temperature', 22.25);
    await peer.set('Counter', -3);
    const found = await eventually(() => changes(daemon), (all) => byNode(all, 'temp').length >= 2 && byNode(all, 'count').length >= 2, 'the changes');
    assert.equal(byNode(found, 'temp').map((change) => change.value), [20.5, 22.25]);
    assert.equal(byNode(found, 'count').map((change) => change.value), [0, -3]);
    assert.ok(!Number.isNaN(Date.parse(byNode(found, 'temp')[1]!.sourceTimestamp)));
  } finally {
    await daemon.cleanup();
    await peer.cleanup();
  }
});

test('SignAndEncrypt with Basic256Sha256: works with the server\'s certificate trusted, and is refused without', async () => {
  const peer = await OpcUaPeer.start();
  const secured = { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' };
  const daemon = await Daemon.start({ config: { connectors: [
    (source(peer, { ...secured, serverCertificateFile: peer.certificateFile }).connectors as Record<string, unknown>[])[0],
    { ...(source(peer, { ...secured, name: 'untrusting', to: 'opcua-untrusted' }).connectors as Record<string, unknown>[])[0] },
  ] } });
  try {
    await eventually(() => changes(daemon), (found) => found.length >= 3, 'values over the encrypted channel');
    await peer.set('Temperature', 30);
    await eventually(() => changes(daemon), (found) => found.some((change) => change.value === 30), 'a change over the encrypted channel');
    const refused = await eventually(() => connectorStatus(daemon, 'untrusting'), (status) => status.state === 'retrying', 'the connector without the server\'s certificate is refused');
    assert.match(refused.lastError!.message, /cannot connect/);
  } finally {
    await daemon.cleanup();
    await peer.cleanup();
  }
});

test('a server restart: the connector reconnects and subscribes again', async () => {
  const peer = await OpcUaPeer.start();
  const daemon = await Daemon.start({ config: source(peer) });
  try {
    await eventually(() => changes(daemon), (found) => found.length >= 3, 'the first subscription');
    await peer.kill();
    await eventually(() => connectorStatus(daemon, 'line-plc'), (status) => status.state === 'retrying', 'the connector notices the server is gone');
    await peer.restart();
    await eventually(() => connectorStatus(daemon, 'line-plc'), (status) => status.state === 'running', 'subscribed again');
    await peer.set('Temperature', 99.5);
    await eventually(() => changes(daemon), (found) => found.some((change) => change.value === 99.5), 'a change after the restart');
  } finally {
    await daemon.cleanup();
    await peer.cleanup();
  }
});

test('SIGKILL of the daemon: records kept, and the values the new subscription repeats are not appended twice', async () => {
  const peer = await OpcUaPeer.start();
  const config = source(peer);
  let daemon = await Daemon.start({ config });
  try {
    await peer.set('Counter', 1);
    await eventually(() => changes(daemon), (found) => byNode(found, 'count').some((change) => change.value === 1) && found.length >= 3, 'changes before the crash');
    await daemon.kill();
    daemon = await daemon.restart({ config });
    const before = await changes(daemon);
    await eventually(() => connectorStatus(daemon, 'line-plc'), (status) => status.state === 'running', 'subscribed after the restart');
    await peer.set('Counter', 2);
    const after = await eventually(() => changes(daemon), (found) => byNode(found, 'count').some((change) => change.value === 2), 'a change after the restart');
    assert.equal(after.slice(0, before.length), before, 'what was appended before the crash is kept');
    // Only the new change was appended: the current values the new subscription sent first were there already.
    assert.equal(after.slice(before.length).map((change) => [change.name, change.value]), [['count', 2]]);
  } finally {
    await daemon.cleanup();
    await peer.cleanup();
  }
});

test.run();
