// OPC UA source: subscribes to variables of an OPC UA server (monitored items of one
// subscription, OPC UA Part 4, 5.12-5.13) and appends a record per data change, keyed by
// the connector's name, its value JSON:
//   {"node":"ns=1;s=Temperature","name":"temp","value":21.5,"type":"Double","status":"Good",
//    "sourceTimestamp":"…","serverTimestamp":"…"}
//
// Security: None, or Sign / SignAndEncrypt with a client certificate (certificateFile and
// privateKeyFile, or a self-signed one made once in the connector's PKI folder) and the
// server's certificate trusted (serverCertificateFile, or moved by hand from the PKI's
// rejected folder to trusted/certs: an unknown server is never trusted by itself).
//
// The session is the runtime's: when the connection drops, the session closes or the
// subscription ends (a server restart loses every subscription), the session fails and the
// runtime connects, creates a session and subscribes again after its backoff.
//
// Position: each node's newest source timestamp appended. A new subscription's first
// notification of a node is its current value (Part 4, 5.12.1.6), often one already
// appended before a reconnection or a crash; a change whose source timestamp is not newer
// than the node's position is not appended again. Changes that happen while the connection
// is down are the server's to keep: beyond its queue (queueSize) they are not seen.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { AttributeIds, DataType, MessageSecurityMode, OPCUAClient, SecurityPolicy, TimestampsToReturn, UserTokenType, type ClientMonitoredItemBase, type ClientSession, type ClientSubscription, type DataValue } from 'node-opcua-client';
import type { OpcUaConfig } from '../../../shared/config/connectors-schema.ts';
import { peerFailure, withTimeout } from '../runtime/connector-runtime.ts';
import { connectorDirectory, sourceConnector, type ConnectorFactory, type SourceSession } from '../runtime/connector-kinds.ts';
import type { SourceRecord } from '../runtime/source-output.ts';
import { variantJson } from './variant-json.ts';

export interface OpcUaPosition {
  /** Per node id, the source timestamp (ms since the Unix epoch) of its newest record. */
  nodes: Record<string, number>;
}

/** Changes waiting for the log; past it the newest are dropped and counted (the log is stuck, memory is not endless). */
export const PENDING_CHANGES_MAX = 10_000;
/** Changes appended in one batch. */
const CHANGES_PER_APPEND_MAX = 1000;
/** How long a connection attempt, and the close of a session, may take. */
const CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2000;
/** Keep-alive publishes per publishing interval without data, and the subscription's lifetime in those (Part 4, 5.13.2). */
const MAX_KEEP_ALIVE_COUNT = 10;
const LIFETIME_COUNT = 60;

const combineNodes = (position: OpcUaPosition | undefined, next: OpcUaPosition): OpcUaPosition => ({ nodes: { ...position?.nodes, ...next.nodes } });

export const opcUaSource: ConnectorFactory<OpcUaConfig> = (config, deps) => {
  const pkiDirectory = join(connectorDirectory(deps, config.name), 'pki');
  return sourceConnector<OpcUaPosition>(config, deps, { combine: combineNodes, session: (session) => subscribe(config, pkiDirectory, session) });
};

async function certificateManager(config: OpcUaConfig, pkiDirectory: string): Promise<OPCUACertificateManager> {
  const manager = new OPCUACertificateManager({ rootFolder: pkiDirectory, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
  await manager.initialize();
  if (config.serverCertificateFile !== '') {
    const bytes = await readFile(config.serverCertificateFile).catch((error: Error) => { throw peerFailure('connect', `OPC UA: cannot read serverCertificateFile ${config.serverCertificateFile}: ${error.message}`, error); });
    await manager.trustCertificate(derOf(bytes));
  }
  return manager;
}

/** A certificate as DER, from a PEM or DER file. */
function derOf(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1');
  const pem = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(text);
  return pem === null ? bytes : Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64');
}

async function subscribe(config: OpcUaConfig, pkiDirectory: string, session: SourceSession<OpcUaPosition>): Promise<void> {
  const { output, signal, logger, meter } = session;
  const client = OPCUAClient.create({
    applicationName: 'Tributary',
    // The runtime reconnects (with its own backoff and metrics); the client library does not.
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 1000 },
    securityMode: MessageSecurityMode[config.securityMode],
    securityPolicy: SecurityPolicy[config.securityPolicy],
    endpointMustExist: false,
    keepSessionAlive: true,
    // Always the connector's own store: node-opcua's default is a folder in the user's home directory.
    clientCertificateManager: await certificateManager(config, pkiDirectory),
    ...(config.certificateFile !== '' ? { certificateFile: config.certificateFile } : {}),
    ...(config.privateKeyFile !== '' ? { privateKeyFile: config.privateKeyFile } : {}),
  });
  const ended = new AbortController();
  let endedBy: Error | undefined;
  const end = (error: Error): void => {
    endedBy ??= error;
    ended.abort();
  };
  client.on('connection_lost', () => end(peerFailure('peer-closed', `OPC UA ${config.endpointUrl}: the connection was lost`)));
  client.on('close', () => end(peerFailure('peer-closed', `OPC UA ${config.endpointUrl}: the connection closed`)));
  let opcSession: ClientSession | undefined;
  try {
    try {
      await withTimeout(client.connect(config.endpointUrl), CONNECT_TIMEOUT_MS, 'connecting');
      opcSession = await client.createSession(config.username === '' ? undefined : { type: UserTokenType.UserName, userName: config.username, password: config.password });
    } catch (error) {
      throw peerFailure('connect', `OPC UA ${config.endpointUrl} (${config.securityMode}/${config.securityPolicy}): cannot connect: ${(error as Error).message}`, error);
    }
    opcSession.on('session_closed', () => end(peerFailure('peer-closed', `OPC UA ${config.endpointUrl}: the server closed the session`)));
    const subscription = await opcSession.createSubscription2({
      requestedPublishingInterval: config.publishingIntervalMs,
      requestedMaxKeepAliveCount: MAX_KEEP_ALIVE_COUNT,
      requestedLifetimeCount: LIFETIME_COUNT,
      maxNotificationsPerPublish: CHANGES_PER_APPEND_MAX,
      publishingEnabled: true,
      priority: 1,
    });
    subscription.on('terminated', () => end(peerFailure('peer-closed', `OPC UA ${config.endpointUrl}: the subscription ended`)));
    const pending: SourceRecord<OpcUaPosition>[] = [];
    let appending: Promise<void> | undefined;
    const flush = (): void => {
      if (appending !== undefined || pending.length === 0) return;
      const batch = pending.splice(0, CHANGES_PER_APPEND_MAX);
      appending = output.append(batch).then(
        () => { appending = undefined; flush(); },
        (error: unknown) => { appending = undefined; end(error instanceof Error ? error : new Error(String(error))); },
      );
    };
    await monitor(config, subscription, session, (record) => {
      if (pending.length >= PENDING_CHANGES_MAX) {
        meter.error('dropped');
        return;
      }
      pending.push(record);
      flush();
    });
    session.connected();
    logger.info({ connector: config.name, endpoint: config.endpointUrl, nodes: config.nodes.length, securityMode: config.securityMode }, 'OPC UA subscription created');
    await new Promise<void>((resolve) => {
      if (signal.aborted || ended.signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
      ended.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await appending;
    if (!signal.aborted && endedBy !== undefined) throw endedBy;
  } finally {
    client.removeAllListeners('close');
    client.removeAllListeners('connection_lost');
    await withTimeout((async () => {
      await opcSession?.close().catch(() => {});
      await client.disconnect();
    })(), CLOSE_TIMEOUT_MS, 'closing').catch(() => {});
  }
}

/** Creates a monitored item per node; nodes the server refuses are logged and counted, the rest go on. */
async function monitor(config: OpcUaConfig, subscription: ClientSubscription, session: SourceSession<OpcUaPosition>, onChange: (record: SourceRecord<OpcUaPosition>) => void): Promise<void> {
  const { output, logger, meter } = session;
  const items = config.nodes.map((node) => ({ nodeId: node.nodeId, attributeId: AttributeIds.Value }));
  const group = await subscription.monitorItems(items, { samplingInterval: config.samplingIntervalMs, queueSize: config.queueSize, discardOldest: true }, TimestampsToReturn.Both);
  let refused = 0;
  group.monitoredItems.forEach((item, index) => {
    const status = item.statusCode;
    if (status.isGood()) return;
    refused += 1;
    meter.error('node-refused');
    logger.error({ connector: config.name, nodeId: config.nodes[index]!.nodeId, status: status.name }, `OPC UA: the server refused to monitor ${config.nodes[index]!.nodeId}: ${status.name}`);
  });
  if (refused === config.nodes.length) throw peerFailure('read', `OPC UA ${config.endpointUrl}: the server refused every node (${group.monitoredItems.map((item) => item.statusCode.name).join(', ')})`);
  group.on('changed', (_item: ClientMonitoredItemBase, dataValue: DataValue, index: number) => {
    const node = config.nodes[index]!;
    const sourceMs = dataValue.sourceTimestamp?.getTime();
    // The first notification of a subscription repeats the current value: skip it when already appended.
    const known = output.position?.nodes[node.nodeId];
    if (sourceMs !== undefined && known !== undefined && sourceMs <= known) return;
    const value = {
      node: node.nodeId,
      name: node.name ?? node.nodeId,
      value: variantJson(dataValue.value.value, dataValue.value.dataType),
      type: DataType[dataValue.value.dataType],
      status: dataValue.statusCode.name,
      sourceTimestamp: dataValue.sourceTimestamp?.toISOString() ?? null,
      serverTimestamp: dataValue.serverTimestamp?.toISOString() ?? null,
    };
    onChange({ value: JSON.stringify(value), timestampMs: sourceMs, position: sourceMs === undefined ? undefined : { nodes: { [node.nodeId]: sourceMs } } });
  });
}
