// The device's YAML file, as one TypeBox definition: the JSON Schema that validates it
// (published as tributary.schema.json for editors), the TypeScript types and every
// default come from here. Every object refuses unknown keys.
import { Type, type Static, type TSchema, type TObject } from '@sinclair/typebox';
import { ConnectorsSchema, SparkplugRouteOption } from './connectors-schema.ts';
import { MirrorSchema } from './mirror-schema.ts';
import { TOPIC_NAME_PATTERN } from '../kafka/topic-name.ts';
import { oneOf } from './one-of.ts';
import { PipelinesSchema } from './pipelines-schema.ts';
import { StorageConfigSchema, TopicConfigSchema, TopicOverrideSchema } from './topic-config.ts';

function section<T extends Record<string, TSchema>>(properties: T, description: string): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, default: {}, description });
}

function listener(host: string, port: number, what: string) {
  return section({
    host: Type.String({ minLength: 1, default: host, description: `Address the ${what} listener binds (0.0.0.0 for every interface).` }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: port, description: `TCP port of the ${what} listener; 0 picks any free port (the daemon reports the port it bound).` }),
  }, `The ${what} listener.`);
}

/** A listener that speaks TLS: off unless enabled, with its certificate files. */
function tlsListener(what: string, host: string, port: number, clients: string) {
  return section({
    enabled: Type.Boolean({ default: false, description: `Serve ${what}. Needs certFile and keyFile.` }),
    host: Type.String({ minLength: 1, default: host, description: `Address the ${what} listener binds.` }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: port, description: `TCP port of the ${what} listener; 0 picks any free port.` }),
    certFile: Type.String({ default: '', description: 'PEM file with this broker\'s certificate (and its chain).' }),
    keyFile: Type.String({ default: '', description: 'PEM file with the private key of that certificate.' }),
    caFile: Type.String({ default: '', description: `PEM file with the certificate authorities that sign the ${clients}' certificates; needed with requireClientCertificate.` }),
    requireClientCertificate: Type.Boolean({ default: false, description: `Accept only ${clients} presenting a certificate signed by caFile (mutual TLS); others fail the handshake.` }),
  }, `The ${what} listener.`);
}

const MemoryGuardSchema = section({
  shedAbovePercent: Type.Integer({ minimum: 1, maximum: 99, default: 85, description: 'Above this share of the V8 heap limit (used heap / heap_size_limit, e.g. --max-old-space-size) new work is refused: MQTT CONNECTs (CONNACK 0x97, 3.1.1: 3), MQTT publishes (PUBACK 0x97; a 3.1.1 client is disconnected and sends again) and Kafka produce (REQUEST_TIMED_OUT, retriable); 85 leaves the garbage collector room to finish the work already accepted instead of the process dying of out-of-memory.' }),
  resumeBelowPercent: Type.Integer({ minimum: 1, maximum: 98, default: 70, description: 'Refusing stops once the heap is below this share again; the gap to shedAbovePercent keeps one collection from switching refusals on and off.' }),
  sampleIntervalMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000, description: 'How often the heap is read (v8.getHeapStatistics, a few microseconds); also the throttle time a refused Kafka producer is told.' }),
}, 'Load shedding near the heap limit: the daemon refuses new work with each protocol\'s retriable error rather than die of out-of-memory with acknowledged work in hand.');

const NodeSchema = section({
  id: Type.String({ pattern: '^[A-Za-z0-9._-]{0,64}$', default: '', description: 'This node\'s name, unique in the fleet (used as {edge} in mirror topic names). Empty means the machine\'s hostname.' }),
  dataDir: Type.String({ minLength: 1, default: './data', description: 'Directory for the log segments and metadata, relative to the working directory.' }),
  memoryGuard: MemoryGuardSchema,
}, 'Who this node is and where it keeps its data.');

const ListenersSchema = section({
  kafka: listener('127.0.0.1', 9092, 'Kafka protocol'),
  mqtt: listener('0.0.0.0', 1883, 'MQTT'),
  mqttWs: section({
    enabled: Type.Boolean({ default: true, description: 'Serve MQTT over WebSocket.' }),
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address the MQTT-over-WebSocket listener binds.' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8083, description: 'TCP port of the MQTT-over-WebSocket listener; 0 picks any free port.' }),
  }, 'The MQTT-over-WebSocket listener.'),
  mqtts: tlsListener('MQTT over TLS (mqtts)', '0.0.0.0', 8883, 'devices'),
  kafkaTls: tlsListener('Kafka protocol over TLS', '0.0.0.0', 9093, 'clients'),
  http: listener('127.0.0.1', 8080, 'HTTP admin (health, metrics, console)'),
}, 'Network listeners.');

/** What `tributary config hash-password` prints: scrypt$N$r$p$salt$key, salt and key in base64. */
export const PASSWORD_HASH_PATTERN = '^scrypt\\$[0-9]+\\$[0-9]+\\$[0-9]+\\$[A-Za-z0-9+/]+={0,2}\\$[A-Za-z0-9+/]+={0,2}$';

/**
 * What `tributary config hash-password --scram-sha-256` (or -512) prints:
 * scram-sha-NNN$iterations$salt$StoredKey$ServerKey in base64, the keys as long as the hash
 * (32 or 64 bytes). The iteration range is checked at start (edge/auth/scram-credential.ts).
 */
function scramCredentialPattern(bits: 256 | 512): string {
  const key = bits === 256 ? '[A-Za-z0-9+/]{43}=' : '[A-Za-z0-9+/]{86}==';
  return `^scram-sha-${bits}\\$[0-9]{4,5}\\$[A-Za-z0-9+/]+={0,2}\\$${key}\\$${key}$`;
}

const KafkaSaslSchema = section({
  listeners: Type.Array(oneOf(['plain', 'tls'] as const), { default: [], uniqueItems: true, description: 'Listeners on which a client must authenticate with SASL (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512) before any other request: plain (listeners.kafka), tls (listeners.kafkaTls). With PLAIN on the plain listener the password crosses the network in clear text; SCRAM never sends it.' }),
  users: Type.Array(Type.Object({
    username: Type.String({ minLength: 1, maxLength: 256, description: 'User name a client sends (sasl.username).' }),
    passwordHash: Type.Optional(Type.String({ pattern: PASSWORD_HASH_PATTERN, description: 'scrypt hash of its password for SASL PLAIN, as printed by `tributary config hash-password`.' })),
    scramSha256: Type.Optional(Type.String({ pattern: scramCredentialPattern(256), description: 'SCRAM-SHA-256 credential (salt, iterations, StoredKey, ServerKey; never the password), as printed by `tributary config hash-password --scram-sha-256`.' })),
    scramSha512: Type.Optional(Type.String({ pattern: scramCredentialPattern(512), description: 'SCRAM-SHA-512 credential, as printed by `tributary config hash-password --scram-sha-512`.' })),
  }, { additionalProperties: false }), { default: [], maxItems: 10_000, description: 'Users allowed to authenticate, each with at least one of passwordHash (PLAIN), scramSha256 and scramSha512; a mechanism is offered when some user has its credential. A wrong user name or password gets SASL_AUTHENTICATION_FAILED and the connection is closed.' }),
}, 'SASL authentication of Kafka clients: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512.');

const KafkaAuthorizationSchema = section({
  superUsers: Type.Array(Type.String({ pattern: '^User:.+$', description: 'A principal, User:<name>: a SASL user, an MQTT user, or the name a client certificate maps to.' }), { default: [], maxItems: 1000, uniqueItems: true, description: 'Principals every authorization check allows, with or without ACLs (Kafka super.users), e.g. ["User:admin"].' }),
  principalMappingRules: Type.Array(Type.String({ minLength: 1 }), { default: ['DEFAULT'], minItems: 1, maxItems: 100, description: 'How a client certificate on listeners.kafkaTls or listeners.mqtts with requireClientCertificate names its principal (on MQTT its user, needing no password; on Kafka when the client does not sign in with SASL) (Kafka ssl.principal.mapping.rules, one rule an item): RULE:<regex>/<replacement>/ with an optional L or U, or DEFAULT for the whole subject ("CN=device-7,O=Acme"). E.g. RULE:^CN=([^,]+).*$/$1/ makes CN=device-7,O=Acme User:device-7. A subject no rule matches is refused.' }),
  allowIfNoAclFound: Type.Boolean({ default: true, description: 'What a request on a resource that no ACL names gets (Kafka allow.everyone.if.no.acl.found). true keeps a broker without ACLs open, as before ACLs existed; false allows only super users until ACLs are created (CreateAcls, kafka-acls). A resource any ACL names is closed to every principal the ACLs do not allow, either way.' }),
}, 'Kafka ACLs: who may do what. The ACLs themselves are managed through CreateAcls, DescribeAcls and DeleteAcls (kafka-acls, AdminClient) and kept in acls.json under the data directory.');

const KafkaSchema = section({
  advertisedHost: Type.String({ default: '', description: 'Host name given to Kafka clients in Metadata responses. Empty means the listener\'s host (or the hostname when it binds 0.0.0.0).' }),
  autoCreateTopics: Type.Boolean({ default: true, description: 'Create a topic with the topic defaults when a client produces to or asks for one that does not exist.' }),
  maxRequestBytes: Type.Integer({ minimum: 1024, maximum: 256 * 1024 * 1024, default: 16 * 1024 * 1024, description: 'Largest Kafka request frame accepted; a larger length prefix closes the connection (bounds memory per connection).' }),
  maxConnections: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000, description: 'Kafka client connections served at once, on each Kafka listener; more are refused as they connect (counted in tributary_listener_refused_connections_total).' }),
  slowClientTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000, description: 'A request must arrive whole within this long of its first byte, and a client must take some of the responses sent to it within this long; a slower client is disconnected (a slow-loris, or a consumer that stopped reading). Kafka clients give up on a request after request.timeout.ms, 30 s by default, anyway.' }),
  connectionsMaxIdleMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 600_000, description: 'A connection on which nothing moved either way for this long, with no request outstanding, is closed (Kafka connections.max.idle.ms); clients reconnect when they need to.' }),
  groupInitialRebalanceDelayMs: Type.Integer({ minimum: 0, maximum: 300_000, default: 300, description: 'How long a new consumer group waits for more members before its first rebalance.' }),
  groupMinSessionTimeoutMs: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 6_000, description: 'Shortest session timeout a consumer may ask for (Kafka group.min.session.timeout.ms); a JoinGroup below it gets INVALID_SESSION_TIMEOUT. Shorter sessions expire members on ordinary pauses.' }),
  groupMaxSessionTimeoutMs: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 1_800_000, description: 'Longest session timeout a consumer may ask for (Kafka group.max.session.timeout.ms): a member that vanished holds its partitions at most this long.' }),
  sasl: KafkaSaslSchema,
  authorization: KafkaAuthorizationSchema,
}, 'The Kafka-protocol server.');

const RouteSchema = Type.Object({
  filter: Type.String({ minLength: 1, description: 'MQTT topic filter (+ and # wildcards).' }),
  topic: Type.String({ minLength: 1, description: 'Log topic the matching publishes are appended to.' }),
  key: Type.String({ default: '{topic}', description: 'Record key template: {topic} is the whole MQTT topic, {N} its level N (0-based), {clientId} the publisher.' }),
  sparkplug: SparkplugRouteOption,
}, { additionalProperties: false });

const ReverseRouteSchema = Type.Object({
  topic: Type.String({ minLength: 1, description: 'Log topic whose records are delivered to MQTT subscribers.' }),
  mqttTopic: Type.String({ minLength: 1, default: '{topic}/{key}', description: 'MQTT topic template: {topic} is the log topic, {key} the record key.' }),
  qos: oneOf([0, 1, 2] as const, { default: 1, description: 'QoS of the delivered publishes.' }),
}, { additionalProperties: false });

const MqttLimitsSchema = section({
  maxPacketBytes: Type.Integer({ minimum: 128, maximum: 268_435_455, default: 256 * 1024, description: 'Largest MQTT packet accepted; a larger one disconnects the client (sensor readings are small; this bounds memory per client).' }),
  maxClientIdBytes: Type.Integer({ minimum: 23, maximum: 65_535, default: 128, description: 'Longest client identifier accepted (MQTT 3.1.1 requires at least 23).' }),
  maxTopicLevels: Type.Integer({ minimum: 1, maximum: 100, default: 16, description: 'Most levels in a topic name or filter (deep topics cost matching time on every publish).' }),
  maxInflightPerClient: Type.Integer({ minimum: 1, maximum: 65_535, default: 64, description: 'Publishes from one client being made durable at once (and QoS 2 packets awaiting PUBREL); MQTT 5 clients are told it as the Receive Maximum and disconnected (0x93) past it; for 3.1.1 clients the socket is not read while full. What is sent to a client is bounded by maxQueuedPerClient.' }),
  maxQueuedPerClient: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000, description: 'Messages queued for one offline or slow client; beyond it the overflow is counted in the metrics.' }),
  maxConnections: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000, description: 'MQTT client connections served at once; more are refused.' }),
  slowClientTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000, description: 'A packet must arrive whole within this long of its first byte, and a client must take some of what is sent to it within this long; a slower client is disconnected (a slow-loris, or a subscriber that stopped reading).' }),
  maxSessionExpirySeconds: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 4_294_967_295, description: 'Longest a session outlives its connection, in seconds: caps an MQTT 5 client\'s Session Expiry Interval and the life of 3.1.1 persistent sessions (clean session 0). 4294967295 means never expire.' }),
  maxKeepAliveSeconds: Type.Integer({ minimum: 1, maximum: 65_535, default: 65_535, description: 'Longest keep alive an MQTT 5 client may use; one asking for more (or for none) is told this value (Server Keep Alive). 65535 leaves the client\'s choice.' }),
  maxTopicAliases: Type.Integer({ minimum: 0, maximum: 65_535, default: 32, description: 'Topic aliases an MQTT 5 client may define on one connection (Topic Alias Maximum); each holds one topic in memory. 0 refuses aliases.' }),
}, 'Limits of the MQTT front end.');


const MqttUserSchema = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 256, description: 'User name a device sends in CONNECT.' }),
  passwordHash: Type.Optional(Type.String({ pattern: PASSWORD_HASH_PATTERN, description: 'scrypt hash of its password, as printed by `tributary config hash-password` (the file never holds the password).' })),
  scramSha256: Type.Optional(Type.String({ pattern: scramCredentialPattern(256), description: 'SCRAM-SHA-256 credential for MQTT 5 enhanced authentication (Authentication Method SCRAM-SHA-256), as printed by `tributary config hash-password --scram-sha-256`.' })),
  scramSha512: Type.Optional(Type.String({ pattern: scramCredentialPattern(512), description: 'SCRAM-SHA-512 credential for MQTT 5 enhanced authentication, as printed by `tributary config hash-password --scram-sha-512`.' })),
  publish: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 100, description: 'Topic filters this user may publish to (and name as its will); {username} and {clientId} stand for its own. Unset: any topic. A publish outside them is refused: not acknowledged, the connection closed.' })),
  subscribe: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 100, description: 'Topic filters this user may subscribe within; {username} and {clientId} as for publish. Unset: any filter. A filter reaching outside them gets SUBACK 0x80.' })),
}, { additionalProperties: false });

const MqttAuthenticationSchema = section({
  allowAnonymous: Type.Boolean({ default: true, description: 'Accept a CONNECT without a user name. Set it to false, and list users, to require a password on every MQTT connection (CONNACK 5 otherwise).' }),
  users: Type.Array(MqttUserSchema, { default: [], maxItems: 10_000, description: 'Users allowed to connect, each with at least one of passwordHash (a password in CONNECT), scramSha256 and scramSha512 (MQTT 5 enhanced authentication); a wrong user name or password gets CONNACK 4 (MQTT 5: 0x86).' }),
}, 'Who may connect to the MQTT listeners (TCP and WebSocket).');

const MqttSchema = section({
  routes: Type.Array(RouteSchema, { default: [], maxItems: 1000, description: 'MQTT topic filters mapped to log topics and keys; the first match wins.' }),
  defaultRoute: Type.Union([
    Type.Object({
      topic: Type.String({ minLength: 1, description: 'Log topic for publishes that match no route.' }),
      key: Type.String({ default: '{topic}', description: 'Record key template, as in routes.' }),
    }, { additionalProperties: false }),
    Type.Literal('reject'),
  ], { default: { topic: 'mqtt', key: '{topic}' }, description: 'Where publishes that match no route go, or "reject" to refuse them.' }),
  reverseRoutes: Type.Array(ReverseRouteSchema, { default: [], maxItems: 1000, description: 'Log topics whose records (for example commands) are delivered to MQTT subscribers.' }),
  denySubscribe: Type.Array(Type.String(), { default: [], maxItems: 1000, description: 'Topic filters whose subscriptions are refused (SUBACK 0x80).' }),
  permissions: Type.Union([Type.Literal('yaml'), Type.Literal('acls')], { default: 'yaml', description: 'Where MQTT publish, subscribe and will permissions come from: "yaml", each user\'s publish and subscribe filters in mqtt.authentication.users; or "acls", the Kafka ACLs of the client\'s principal (User:name, User:ANONYMOUS) on TOPIC resources named by the MQTT topic (WRITE to publish or leave a will, READ to subscribe, the filter as written). Changing it needs a restart.' }),
  responseInformation: Type.String({ default: 'responses/{clientId}', maxLength: 1024, description: 'Answer to an MQTT 5 client that sets Request Response Information: the base of its response topics; {clientId} is its client id. Empty sends none.' }),
  authentication: MqttAuthenticationSchema,
  limits: MqttLimitsSchema,
}, 'The MQTT front end.');

const TopicsSchema = section({
  defaults: TopicConfigSchema,
  maxTopics: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: 'Topics this node holds at most; creating one more (CreateTopics, a produce or Metadata request that auto-creates, an MQTT route) is refused with POLICY_VIOLATION, or QUOTA_EXCEEDED to an MQTT 5 publisher, and counted. Each topic costs memory and a directory per partition; a device has only so much of both. Topics already on disk are always opened.' }),
  maxPartitions: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20_000, description: 'Partitions of all topics together at most; a topic or partitions that would pass it are refused as for maxTopics. Each partition holds a few kilobytes of memory for its state and index, a directory and (while in use) an open file (storage.maxOpenSegmentFiles).' }),
  overrides: Type.Record(Type.String({ pattern: TOPIC_NAME_PATTERN.source }), TopicOverrideSchema, {
    default: {},
    description: 'Topics declared on this device, by name, with the settings that differ from the defaults. They are created at start.',
  }),
}, 'Topic defaults and per-topic overrides.');

const LogSchema = section({
  level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, { default: 'info', description: 'Least severe log level written.' }),
}, 'Structured logs (JSON lines on standard output).');

export const ConfigSchema = Type.Object({
  node: NodeSchema,
  listeners: ListenersSchema,
  storage: StorageConfigSchema,
  topics: TopicsSchema,
  kafka: KafkaSchema,
  mqtt: MqttSchema,
  mirror: MirrorSchema,
  pipelines: PipelinesSchema,
  connectors: ConnectorsSchema,
  log: LogSchema,
}, {
  additionalProperties: false,
  $id: 'https://tributary.dev/schema/tributary.schema.json',
  title: 'Tributary device configuration',
  description: 'One YAML file configures a Tributary edge broker (or a central). Every key is optional.',
});

export type Config = Static<typeof ConfigSchema>;
export type ListenerConfig = Static<typeof ListenersSchema>['kafka'];
export type TlsListenerConfig = Static<typeof ListenersSchema>['mqtts'];
export type KafkaConfig = Static<typeof KafkaSchema>;
export type MemoryGuardConfig = Static<typeof MemoryGuardSchema>;
export type MqttConfig = Static<typeof MqttSchema>;
export type MqttRoute = Static<typeof RouteSchema>;
export type MqttReverseRoute = Static<typeof ReverseRouteSchema>;
