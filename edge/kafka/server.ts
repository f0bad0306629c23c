// The Kafka-protocol server of a node: the group coordinator, the producer-id allocator,
// the request router and the listener, started and stopped together.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { KafkaConfig, ListenerConfig } from '../../shared/config/schema.ts';
import type { TopicConfig } from '../../shared/config/topic-config.ts';
import type { Logger } from '../../shared/logger.ts';
import type { LogStore } from '../storage/index.ts';
import { BROKER_NODE_ID, type BrokerContext } from './broker-context.ts';
import type { BrokerListener } from './configs/broker-configs.ts';
import { GroupCoordinator } from './groups/coordinator.ts';
import { TransactionCoordinator } from './transactions/coordinator.ts';
import { KafkaListener } from './listener.ts';
import { ProducerIdAllocator } from './producer-ids.ts';
import { RequestRouter } from './request-router.ts';
import type { SaslMechanism } from '../auth/sasl-mechanism.ts';
import { KafkaUsers } from './sasl/kafka-users.ts';
import { Authorizer } from '../auth/acls/authorizer.ts';
import { CertificatePrincipalMapper } from '../auth/certificate-principal.ts';
import type { TlsListen } from '../listeners/tls-listen.ts';
import { TributaryError } from '../../shared/errors.ts';
import type { LoadShedding } from '../daemon/memory-guard.ts';

const PRINCIPAL_MAPPING_RULES_KEY = 'kafka.authorization.principalMappingRules';

export interface KafkaServerOptions {
  listener: ListenerConfig;
  /** A second listener speaking TLS (listeners.kafkaTls), or null. */
  tlsListener: TlsListen | null;
  config: KafkaConfig;
  topicDefaults: TopicConfig;
  store: LogStore;
  dataDir: string;
  logger: Logger;
  registry?: Registry;
  /** Refuses produce near the heap limit (edge/daemon/memory-guard.ts); none: never. */
  memoryGuard?: LoadShedding;
}

export interface KafkaServer {
  readonly port: number;
  /** The TLS listener's port, when it runs. */
  readonly tlsPort: number | undefined;
  readonly groups: GroupCoordinator;
  readonly transactions: TransactionCoordinator;
  /** Who may do what; a reload of kafka.authorization reaches its configure() through prepareReload. */
  readonly authorizer: Authorizer;
  /**
   * How a client certificate names its principal (kafka.authorization.principalMappingRules),
   * shared with the MQTT TLS listener so that one certificate is one principal on both; a
   * reload swaps its rules for new handshakes.
   */
  readonly certificatePrincipals: CertificatePrincipalMapper;
  /**
   * Checks a reloaded kafka.sasl, kafka.authorization and TLS listener (throwing names the
   * key) and returns what swaps them in: new handshakes get the new certificate, new
   * authentications the new users, the authorizer its new super users and default, and the
   * connections of users removed or given other credentials are closed.
   * kafka.sasl.listeners and whether the TLS listener runs are the running ones: changing
   * those needs a restart.
   */
  prepareReload(next: { sasl: KafkaConfig['sasl']; authorization: KafkaConfig['authorization']; tlsListener: TlsListen | null }): () => { closedConnections: number };
  close(): Promise<void>;
}

export async function startKafkaServer(options: KafkaServerOptions): Promise<KafkaServer> {
  const { store, dataDir, logger, registry } = options;
  // Settings no client could get through stop the start before anything is opened.
  const users = await KafkaUsers.open(dataDir, options.config.sasl.users);
  const sasl = saslOf(options.config.sasl, users.mechanisms, options.tlsListener !== null);
  if (options.config.groupMinSessionTimeoutMs > options.config.groupMaxSessionTimeoutMs) {
    throw new TributaryError('CONFIG_INVALID', `kafka.groupMinSessionTimeoutMs (${options.config.groupMinSessionTimeoutMs}) is above kafka.groupMaxSessionTimeoutMs (${options.config.groupMaxSessionTimeoutMs}), so no consumer could join a group`, { key: 'kafka.groupMinSessionTimeoutMs' });
  }
  const certificatePrincipals = new CertificatePrincipalMapper(options.config.authorization.principalMappingRules, PRINCIPAL_MAPPING_RULES_KEY);
  const authorizer = await Authorizer.open(dataDir, options.config.authorization);
  const groups = await GroupCoordinator.open({
    dataDir,
    logger: logger.child({ part: 'groups' }),
    registry,
    config: {
      initialRebalanceDelayMs: options.config.groupInitialRebalanceDelayMs,
      sessionTimeoutMsMin: options.config.groupMinSessionTimeoutMs,
      sessionTimeoutMsMax: options.config.groupMaxSessionTimeoutMs,
    },
    partitionExists: (topic, partition) => {
      const description = store.describeTopic(topic);
      return description !== undefined && partition >= 0 && partition < description.partitions;
    },
  });
  const producerIds = await ProducerIdAllocator.open({ dataDir, logger: logger.child({ part: 'producer-ids' }) });
  // Opening completes the transactions a crash left decided, before any client is answered.
  const transactions = await TransactionCoordinator.open({ dataDir, store, groups, producerIds, logger: logger.child({ part: 'transactions' }) });
  const advertised = { host: advertisedHost(options.listener.host, options.config.advertisedHost), port: options.listener.port };
  const brokerListeners: BrokerListener[] = [];
  const context: BrokerContext = {
    store,
    groups,
    producerIds,
    transactions,
    authorizer,
    users,
    config: options.config,
    topicDefaults: options.topicDefaults,
    clusterId: clusterIdOf(dataDir),
    advertised,
    broker: { nodeId: BROKER_NODE_ID, listeners: brokerListeners, logDirectory: store.logDirectory, kafka: options.config, topicDefaults: options.topicDefaults },
    logger,
    memoryGuard: options.memoryGuard,
  };
  const router = new RequestRouter(context, registry);
  const listenerOf = (address: { host: string; port: number }, endpoint: typeof advertised, tls?: TlsListen['tls']): KafkaListener => new KafkaListener({
    host: address.host,
    port: address.port,
    advertised: endpoint,
    tls,
    saslMechanisms: sasl.listeners.has(tls === undefined ? 'plain' : 'tls') ? sasl.mechanisms : undefined,
    certificatePrincipals: tls === undefined ? undefined : certificatePrincipals,
    maxConnections: options.config.maxConnections,
    maxRequestBytes: options.config.maxRequestBytes,
    timeouts: { slowClientTimeoutMs: options.config.slowClientTimeoutMs, idleTimeoutMs: options.config.connectionsMaxIdleMs },
    handler: router,
    logger,
    registry,
  });
  const listeners = [listenerOf(options.listener, advertised)];
  const tlsListen = options.tlsListener;
  const tlsAdvertised = tlsListen === null ? undefined : { host: advertisedHost(tlsListen.host, options.config.advertisedHost), port: tlsListen.port };
  if (tlsListen !== null) listeners.push(listenerOf(tlsListen, tlsAdvertised!, tlsListen.tls));
  try {
    // With port 0 the port is known only now; clients must be told the bound one.
    advertised.port = await listeners[0]!.listen();
    brokerListeners.push({ securityProtocol: sasl.listeners.has('plain') ? 'SASL_PLAINTEXT' : 'PLAINTEXT', bind: { host: options.listener.host, port: advertised.port }, advertised });
    if (tlsListen !== null && tlsAdvertised !== undefined) {
      tlsAdvertised.port = await listeners[1]!.listen();
      brokerListeners.push({ securityProtocol: sasl.listeners.has('tls') ? 'SASL_SSL' : 'SSL', bind: { host: tlsListen.host, port: tlsAdvertised.port }, advertised: tlsAdvertised });
    }
  } catch (error) {
    for (const listener of listeners) await listener.close();
    await transactions.close();
    await groups.close();
    await producerIds.close();
    throw error;
  }
  // A change of the stored users (AlterUserScramCredentials) reaches the listeners as a reload does.
  users.whenChanged((mechanisms, revoked, cause) => listeners.reduce((closed, listener) => closed + listener.replaceUsers(mechanisms, revoked, cause), 0));
  return {
    port: advertised.port,
    tlsPort: tlsAdvertised?.port,
    groups,
    transactions,
    authorizer,
    certificatePrincipals,
    prepareReload(next) {
      // Throws naming kafka.authorization.principalMappingRules[i]: the reload is refused and the running rules stay.
      const nextCertificatePrincipals = new CertificatePrincipalMapper(next.authorization.principalMappingRules, PRINCIPAL_MAPPING_RULES_KEY);
      const nextUsers = users.prepareReload(next.sasl.users);
      saslOf({ ...next.sasl, listeners: options.config.sasl.listeners }, nextUsers.mechanisms, tlsListen !== null);
      const nextTls = tlsListen === null ? null : next.tlsListener;
      if (tlsListen !== null && nextTls === null) throw new TributaryError('CONFIG_INVALID', 'listeners.kafkaTls.enabled: turning the TLS listener off needs a restart', { key: 'listeners.kafkaTls.enabled' });
      // configure() checks the settings before it replaces anything; tried here and undone in
      // the same turn of the event loop, so no request sees them before the reload commits.
      const runningAuthorization = authorizer.settings;
      authorizer.configure(next.authorization);
      authorizer.configure(runningAuthorization);
      return () => {
        if (nextTls !== null) listeners[1]!.replaceCertificates(nextTls);
        authorizer.configure(next.authorization);
        certificatePrincipals.adopt(nextCertificatePrincipals);
        return { closedConnections: nextUsers.commit() };
      };
    },
    async close() {
      for (const listener of listeners) await listener.close();
      await transactions.close();
      await groups.close();
      await producerIds.close();
    },
  };
}

/**
 * The SASL mechanisms of the users of kafka.sasl and of the credential store (kafka-users.ts),
 * and the listeners that require them; refuses settings no client could get through.
 */
function saslOf(config: KafkaConfig['sasl'], mechanisms: readonly SaslMechanism[], tlsListenerRuns: boolean): { mechanisms: readonly SaslMechanism[]; listeners: Set<'plain' | 'tls'> } {
  const listeners = new Set(config.listeners);
  if (listeners.size > 0 && mechanisms.length === 0) {
    throw new TributaryError('CONFIG_INVALID', 'kafka.sasl: listeners require SASL but no users are listed, so no client could connect', { key: 'kafka.sasl' });
  }
  if (listeners.has('tls') && !tlsListenerRuns) {
    throw new TributaryError('CONFIG_INVALID', 'kafka.sasl.listeners: names tls, but listeners.kafkaTls.enabled is false', { key: 'kafka.sasl.listeners' });
  }
  return { mechanisms, listeners };
}

function advertisedHost(listenHost: string, configured: string): string {
  if (configured !== '') return configured;
  return listenHost === '0.0.0.0' || listenHost === '::' ? hostname() : listenHost;
}

/** A cluster id made once per data directory, as Kafka's meta.properties holds one. */
function clusterIdOf(dataDir: string): string {
  const path = join(dataDir, 'meta', 'cluster-id');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(join(dataDir, 'meta'), { recursive: true });
  const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
  writeFileSync(path, `${id}\n`);
  return id;
}
