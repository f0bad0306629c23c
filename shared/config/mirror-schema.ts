// The `mirror:` section of the edge YAML: where the edge's topics go (the central Kafka
// cluster), which topics, under which names, how the link is used, and which central
// topics come back down. One TypeBox definition, like the rest of the file: the JSON
// Schema, the types and the defaults all come from here.
//
// The stable minimum that scripts rely on:
//   mirror: { target: { bootstrap: ["HOST:PORT"] }, topics: { include: ["PATTERN"] } }
import { Type, type Static, type TSchema, type TObject } from '@sinclair/typebox';
import { TOPIC_NAME_PATTERN } from '../kafka/topic-name.ts';
import { oneOf } from './one-of.ts';

function section<T extends Record<string, TSchema>>(properties: T, description: string): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, default: {}, description });
}

const HOST_PORT_PATTERN = '^[^\\s:]+:[0-9]{1,5}$|^\\[[0-9A-Fa-f:.]+\\]:[0-9]{1,5}$';
const hostPort = (description: string) => Type.String({ pattern: HOST_PORT_PATTERN, description });

/** Patterns are globs (* and ?) or regular expressions between slashes, as in /^sensors\./. */
const PATTERN_DESCRIPTION = 'a glob (* matches any run of characters, ? one character) or a regular expression written between slashes, e.g. /^sensors\\./';

const TlsSchema = section({
  enabled: Type.Boolean({ default: false, description: 'Connect to the central cluster over TLS.' }),
  caFile: Type.String({ default: '', description: 'PEM file of the certificate authorities to trust; empty means the system\'s.' }),
  certFile: Type.String({ default: '', description: 'PEM client certificate, for clusters that authenticate clients by certificate (mTLS).' }),
  keyFile: Type.String({ default: '', description: 'PEM private key of certFile.' }),
  serverName: Type.String({ default: '', description: 'Name expected in the brokers\' certificates (SNI); empty means the host dialled.' }),
  rejectUnauthorized: Type.Boolean({ default: true, description: 'Refuse brokers whose certificate does not verify. Turn off only for a test cluster.' }),
}, 'TLS towards the central cluster.');

const SaslSchema = section({
  mechanism: oneOf(['none', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const, { default: 'none', description: 'SASL mechanism; none sends no credentials.' }),
  username: Type.String({ default: '', description: 'SASL user name; {edge} is replaced by node.id.' }),
  password: Type.String({ default: '', description: 'SASL password. Prefer passwordFile, which keeps the secret out of this file.' }),
  passwordFile: Type.String({ default: '', description: 'File whose first line is the SASL password (read at start).' }),
}, 'SASL authentication towards the central cluster (use it with TLS).');

const TargetSchema = section({
  bootstrap: Type.Array(hostPort('A broker of the central cluster, HOST:PORT.'), { default: [], maxItems: 64, description: 'Brokers of the central Kafka cluster, HOST:PORT. Empty: no mirror runs.' }),
  clientId: Type.String({ default: '', pattern: '^[A-Za-z0-9._{}-]{0,128}$', description: 'Kafka client id of the mirror; empty means tributary-mirror-{edge}.' }),
  addressMap: Type.Record(Type.String({ pattern: HOST_PORT_PATTERN }), hostPort('Address to dial instead.'), {
    default: {},
    description: 'Broker addresses as the cluster advertises them (HOST:PORT) mapped to the address the mirror dials instead: for a tunnel, a NAT or a link simulator in between.',
  }),
  tls: TlsSchema,
  sasl: SaslSchema,
  connectTimeoutMs: Type.Integer({ minimum: 100, maximum: 300_000, default: 10_000, description: 'A broker that does not accept a connection within this time counts as unreachable.' }),
  requestTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000, description: 'A request unanswered within this time counts as failed; the mirror reconnects and resumes from the target\'s tail.' }),
  replicationFactor: Type.Integer({ minimum: -1, maximum: 32, default: -1, description: 'Replication factor of the target topics the mirror creates; -1 uses the cluster\'s default.' }),
}, 'The central Kafka cluster the edge\'s topics are mirrored to.');

const SourceSchema = section({
  bootstrap: Type.Array(hostPort('The edge\'s Kafka listener, HOST:PORT.'), { default: [], maxItems: 8, description: 'Standalone mirror only: the edge\'s Kafka listener it reads from. Empty means listeners.kafka of this file.' }),
  deliveredGroup: Type.String({ default: 'tributary-mirror', pattern: TOPIC_NAME_PATTERN.source, description: 'Consumer group under which the mirror commits its delivered offsets on the edge. Retention reads them to keep undelivered segments, and any Kafka tool shows the mirror\'s lag with them.' }),
}, 'Where the mirror reads the edge\'s log.');

const PrioritySchema = Type.Object({
  match: Type.String({ minLength: 1, description: `Edge topics this rule applies to: ${PATTERN_DESCRIPTION}.` }),
  priority: Type.Integer({ minimum: 0, maximum: 9, default: 0, description: 'Higher goes first: while a topic of a higher priority has data to send, lower ones wait.' }),
  anytime: Type.Boolean({ default: false, description: 'Send these topics outside the sync windows too (alarms, for example).' }),
}, { additionalProperties: false });

const TopicsSchema = section({
  include: Type.Array(Type.String({ minLength: 1 }), { default: ['*'], maxItems: 1000, description: `Edge topics to mirror, each ${PATTERN_DESCRIPTION}. Topics whose names start with "__" and the local topics of reverse rules are never mirrored.` }),
  exclude: Type.Array(Type.String({ minLength: 1 }), { default: [], maxItems: 1000, description: 'Edge topics not to mirror even when included, as patterns like include.' }),
  template: Type.String({ default: '{edge}.{topic}', minLength: 1, description: 'Name of the target topic: {edge} is node.id, {topic} the edge topic. Source partition p goes to target partition p.' }),
  priorities: Type.Array(PrioritySchema, { default: [], maxItems: 100, description: 'Priorities between topics; the first rule that matches a topic applies, and topics no rule matches have priority 0.' }),
}, 'Which edge topics are mirrored and under which names.');

const SyncWindowSchema = Type.Object({
  cron: Type.String({ minLength: 1, description: 'When the window opens: a node-cron expression (minute hour day month weekday, with an optional leading seconds field), in the device\'s time zone.' }),
  durationMinutes: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, description: 'How long the window stays open.' }),
}, { additionalProperties: false });

const LinkSchema = section({
  compression: oneOf(['zstd', 'gzip', 'lz4', 'snappy', 'none'] as const, { default: 'zstd', description: 'Compression of the record batches sent to the central cluster.' }),
  bandwidthBytesPerSecond: Type.Integer({ minimum: 0, default: 0, description: 'Cap on the bytes the mirror sends per second (after compression, protocol overhead included); 0 means no cap.' }),
  syncWindows: Type.Array(SyncWindowSchema, { default: [], maxItems: 100, description: 'When data may be sent. Empty: always. Heartbeats and topics marked anytime are sent outside the windows too.' }),
  batchBytesMax: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 256 * 1024, description: 'Source bytes read for one produce request of one partition; larger batches compress better, smaller ones share the link more finely.' }),
  retryBackoffMinMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 500, description: 'First wait before reconnecting after the link failed; it doubles at each failure.' }),
  retryBackoffMaxMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 30_000, description: 'Longest wait between reconnection attempts.' }),
}, 'How the mirror uses the link to the central cluster.');

const ReverseSchema = Type.Object({
  from: Type.String({ minLength: 1, description: 'Central topic to pull down; {edge} is node.id, e.g. commands.{edge}.' }),
  to: Type.String({ minLength: 1, pattern: TOPIC_NAME_PATTERN.source, description: 'Local topic the records are appended to (keys and headers kept), e.g. commands; MQTT reverse routes deliver them to devices.' }),
}, { additionalProperties: false });

const HeartbeatSchema = section({
  topic: Type.String({ default: 'tributary.heartbeats', pattern: TOPIC_NAME_PATTERN.source, description: 'Central topic that receives one small CBOR record per interval, keyed by node.id; `tributary fleet` reads it.' }),
  intervalMs: Type.Integer({ minimum: 0, maximum: 24 * 3600_000, default: 30_000, description: 'Time between heartbeats; 0 sends none.' }),
}, 'Heartbeats to the central cluster, so the fleet can be watched from the datacenter.');

const HttpSchema = section({
  host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address the standalone mirror\'s HTTP port binds.' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8081, description: 'TCP port of the standalone mirror\'s /health and /metrics; 0 picks any free port.' }),
}, 'Standalone mirror only: its HTTP port (an embedded mirror\'s metrics are on the edge\'s admin port).');

export const MirrorSchema = section({
  embedded: Type.Boolean({ default: true, description: 'Run the mirror inside `tributary edge`. false: run it as its own process with `tributary mirror --config FILE` (the same file); it then reads the edge through its Kafka listener.' }),
  target: TargetSchema,
  source: SourceSchema,
  topics: TopicsSchema,
  link: LinkSchema,
  reverse: Type.Array(ReverseSchema, { default: [], maxItems: 100, description: 'Central topics pulled down into the edge log (commands for devices), exactly once.' }),
  heartbeat: HeartbeatSchema,
  http: HttpSchema,
}, 'The mirror from this edge to a central Kafka cluster (and commands back). It runs when target.bootstrap names a broker.');

export type MirrorConfig = Static<typeof MirrorSchema>;
export type MirrorTargetConfig = Static<typeof TargetSchema>;
export type MirrorTopicsConfig = Static<typeof TopicsSchema>;
export type MirrorLinkConfig = Static<typeof LinkSchema>;
export type MirrorPriorityRule = Static<typeof PrioritySchema>;
export type SyncWindowConfig = Static<typeof SyncWindowSchema>;
export type ReverseRule = Static<typeof ReverseSchema>;
