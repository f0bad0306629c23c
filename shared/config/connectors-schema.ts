// The `connectors:` section of the edge YAML: sources that bring data into the log from
// where it lives (PLCs over Modbus TCP and OPC UA, files) and sinks that carry a topic out
// (HTTP, files). One TypeBox definition per connector type: the JSON Schema, the types and
// the defaults come from here.
//
// The list holds connectors of every type, each chosen by its `type` key. In JSON Schema
// that is one `if type is X then <X's schema>` per type rather than a union, so that a
// mistake is reported against the one type the entry names ("connectors.0.pollMs: must be
// >= 10") instead of against every type it could have been.
import { Type, type Static, type TObject, type TProperties, type TUnsafe } from '@sinclair/typebox';
import { oneOf } from './one-of.ts';

/** Connectors in one file; each holds a connection, timers and buffers, and a small device runs few. */
export const CONNECTORS_MAX = 100;
/** Modbus registers one connector reads per poll (its record has one field per register). */
export const MODBUS_REGISTERS_MAX = 1000;
/** OPC UA nodes one connector monitors; each is a monitored item on the server. */
export const OPCUA_NODES_MAX = 1000;

const TOPIC_PATTERN = '^[A-Za-z0-9._-]{1,249}$';

const COMMON = {
  name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$', description: 'Name of the connector, unique among them: it keys the records of a source, names the consumer group that keeps the position (connect-<name>) and labels the metrics.' }),
  retryBackoffMinMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 1000, description: 'First wait before reconnecting after the peer failed; it doubles at each failure in a row.' }),
  retryBackoffMaxMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 60_000, description: 'Longest wait between reconnection attempts.' }),
};

/** Keys every connector has; each type's schema repeats them so that it alone can refuse unknown keys. */
function common<T extends string>(type: T) {
  return { ...COMMON, type: Type.Literal(type) };
}

const to = () => Type.String({ pattern: TOPIC_PATTERN, description: 'Log topic the records are appended to (created with the topic defaults when missing).' });
const from = () => Type.String({ pattern: TOPIC_PATTERN, description: 'Log topic whose records are delivered (created with the topic defaults when missing).' });
const sinkStart = () => oneOf(['earliest', 'latest'] as const, { default: 'earliest', description: 'Where a sink with no committed position starts: the oldest record kept, or the records that arrive from now on.' });

function connector<T extends TProperties>(properties: T, description: string): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, description });
}

export const ModbusRegisterSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, description: 'Field name of this value in the record.' }),
  address: Type.Integer({ minimum: 0, maximum: 65_535, description: 'Address of the first register (or coil), counted from 0 as on the wire (register 40001 is holding address 0).' }),
  type: oneOf(['holding', 'input', 'coil', 'discrete'] as const, { default: 'holding', description: 'Holding registers (function 3), input registers (function 4), coils (function 1) or discrete inputs (function 2).' }),
  format: oneOf(['int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64', 'bool'] as const, { default: 'int16', description: 'How the registers decode: 16-bit values take one register, 32-bit two, 64-bit four. Coils and discrete inputs are bool.' }),
  byteOrder: oneOf(['big', 'little'] as const, { default: 'big', description: 'Byte order inside each 16-bit register; Modbus itself is big-endian (spec 4.2).' }),
  wordOrder: oneOf(['big', 'little'] as const, { default: 'big', description: 'Order of the registers of a 32- or 64-bit value: big puts the most significant register first.' }),
}, { additionalProperties: false });

export const ModbusTcpSchema = connector({
  ...common('modbus-tcp'),
  host: Type.String({ minLength: 1, description: 'Address of the Modbus TCP server (the PLC or gateway).' }),
  port: Type.Integer({ minimum: 1, maximum: 65_535, default: 502, description: 'TCP port of the Modbus TCP server.' }),
  unitId: Type.Integer({ minimum: 0, maximum: 255, default: 1, description: 'Unit identifier (slave id) addressed; gateways route by it.' }),
  pollMs: Type.Integer({ minimum: 10, maximum: 86_400_000, default: 1000, description: 'Time between polls; each poll reads every register and appends one record.' }),
  timeoutMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 2000, description: 'A request unanswered within this time fails the poll and the connection is opened anew.' }),
  registers: Type.Array(ModbusRegisterSchema, { minItems: 1, maxItems: MODBUS_REGISTERS_MAX, description: 'The values read at each poll.' }),
  to: to(),
}, 'Polls registers of a Modbus TCP server and appends one record per poll.');

export const OpcUaNodeSchema = Type.Object({
  nodeId: Type.String({ minLength: 1, maxLength: 4096, description: 'Node id of the variable, e.g. ns=1;s=Temperature or ns=2;i=1001.' }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Name of the value in its records; the node id when unset.' })),
  samplingIntervalMs: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400_000, description: 'How often the server samples the value; the connector\'s samplingIntervalMs when unset.' })),
}, { additionalProperties: false });

export const OpcUaSchema = connector({
  ...common('opcua'),
  endpointUrl: Type.String({ pattern: '^opc\\.tcp://', description: 'Endpoint of the OPC UA server, opc.tcp://HOST:PORT/PATH.' }),
  securityMode: oneOf(['None', 'Sign', 'SignAndEncrypt'] as const, { default: 'None', description: 'Message security. Sign and SignAndEncrypt need a client certificate (certificateFile and privateKeyFile, or one the connector makes) and a trusted server certificate.' }),
  securityPolicy: oneOf(['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const, { default: 'None', description: 'Security policy of the secure channel; None only with securityMode None.' }),
  certificateFile: Type.String({ default: '', description: 'PEM certificate of this client. Empty: a self-signed one is made once in the data directory (connectors/<name>/pki/own) and kept.' }),
  privateKeyFile: Type.String({ default: '', description: 'PEM private key of certificateFile.' }),
  serverCertificateFile: Type.String({ default: '', description: 'PEM or DER certificate of the server to trust. Empty with security on: the server is refused until its certificate is moved from connectors/<name>/pki/rejected to trusted/certs.' }),
  username: Type.String({ default: '', description: 'User name for the session; empty means anonymous.' }),
  password: Type.String({ default: '', description: 'Password of username.' }),
  publishingIntervalMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 1000, description: 'How often the server sends the changes of the subscription.' }),
  samplingIntervalMs: Type.Number({ minimum: 0, maximum: 86_400_000, default: 250, description: 'How often the server samples each node (0: as fast as it can).' }),
  queueSize: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'Changes the server keeps per node between two publishes; past it the oldest are discarded by the server.' }),
  nodes: Type.Array(OpcUaNodeSchema, { minItems: 1, maxItems: OPCUA_NODES_MAX, description: 'Variables monitored; each data change becomes a record.' }),
  to: to(),
}, 'Subscribes to variables of an OPC UA server and appends a record per data change.');

export const FileSourceSchema = connector({
  ...common('file-source'),
  path: Type.String({ minLength: 1, description: 'File to tail; each line becomes a record. Rotation by rename (logrotate, create) or by truncation (copytruncate) is followed.' }),
  startAt: oneOf(['beginning', 'end'] as const, { default: 'beginning', description: 'Where reading starts the first time (later starts resume where the last left off).' }),
  pollMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 250, description: 'How often the file is checked for new lines and rotation.' }),
  maxLineBytes: Type.Integer({ minimum: 64, maximum: 16 * 1024 * 1024, default: 1024 * 1024, description: 'Longest line accepted; a longer line is skipped, logged and counted (errors{kind="line-too-long"}).' }),
  to: to(),
}, 'Tails a text file into a topic, a record per line.');

export const HttpSinkSchema = connector({
  ...common('http-sink'),
  from: from(),
  url: Type.String({ pattern: '^https?://', description: 'URL the batches are POSTed to.' }),
  headers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]{1,100}$' }), Type.String(), { default: {}, description: 'HTTP headers sent with every request, e.g. Authorization.' }),
  batchRecords: Type.Integer({ minimum: 1, maximum: 100_000, default: 500, description: 'Most records in one request.' }),
  batchBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024, description: 'Most bytes of record data read for one request (its JSON body is somewhat larger).' }),
  lingerMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 50, description: 'How long a batch that is not full waits for more records before it is sent.' }),
  maxInFlight: Type.Integer({ minimum: 1, maximum: 64, default: 1, description: 'Requests awaiting an answer at once. Above 1, a retried batch can reach the receiver after a later one.' }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000, description: 'A request unanswered within this time counts as failed and is retried.' }),
  onRejected: oneOf(['retry', 'skip'] as const, { default: 'retry', description: 'What a 4xx answer other than 408 and 429 does to its batch: retry it (after backoff, until the receiver accepts it) or skip it (logged and counted).' }),
  startAt: sinkStart(),
}, 'POSTs batches of a topic\'s records to a URL, as JSON, at least once with an idempotency key.');

export const FileSinkSchema = connector({
  ...common('file-sink'),
  from: from(),
  path: Type.String({ minLength: 1, description: 'File the records are appended to, a line each. Nothing else may write it.' }),
  format: oneOf(['value', 'json'] as const, { default: 'value', description: 'value: each record\'s value as it is; json: the record as a JSON object (topic, partition, offset, key, value, headers, timestamp), as the HTTP sink sends it.' }),
  rotateBytes: Type.Integer({ minimum: 0, default: 64 * 1024 * 1024, description: 'The file is rotated to <path>.<n> once it reaches this size; 0 never rotates.' }),
  keepFiles: Type.Integer({ minimum: 0, maximum: 10_000, default: 5, description: 'Rotated files kept; older ones are deleted.' }),
  startAt: sinkStart(),
}, 'Appends a topic\'s records to a file, exactly once, rotating it by size.');

const CONNECTOR_SCHEMAS = {
  'modbus-tcp': ModbusTcpSchema,
  opcua: OpcUaSchema,
  'file-source': FileSourceSchema,
  'http-sink': HttpSinkSchema,
  'file-sink': FileSinkSchema,
} as const;

export type ConnectorType = keyof typeof CONNECTOR_SCHEMAS;
export const CONNECTOR_TYPES = Object.keys(CONNECTOR_SCHEMAS) as ConnectorType[];

export type ModbusTcpConfig = Static<typeof ModbusTcpSchema>;
export type ModbusRegisterConfig = Static<typeof ModbusRegisterSchema>;
export type OpcUaConfig = Static<typeof OpcUaSchema>;
export type FileSourceConfig = Static<typeof FileSourceSchema>;
export type HttpSinkConfig = Static<typeof HttpSinkSchema>;
export type FileSinkConfig = Static<typeof FileSinkSchema>;
export type ConnectorConfig = ModbusTcpConfig | OpcUaConfig | FileSourceConfig | HttpSinkConfig | FileSinkConfig;

/** One entry of the list: `type` picks the schema the rest is checked against. */
const ConnectorSchema: TUnsafe<ConnectorConfig> = Type.Unsafe<ConnectorConfig>({
  type: 'object',
  required: ['name', 'type'],
  properties: { type: { type: 'string', enum: CONNECTOR_TYPES, description: 'What the connector is; the keys below each type are its own.' }, ...COMMON },
  allOf: Object.entries(CONNECTOR_SCHEMAS).map(([type, schema]) => ({ if: { properties: { type: { const: type } }, required: ['type'] }, then: schema })),
});

export const ConnectorsSchema = Type.Array(ConnectorSchema, {
  default: [],
  maxItems: CONNECTORS_MAX,
  description: 'Connectors run inside the daemon: sources (modbus-tcp, opcua, file-source) append to a topic, sinks (http-sink, file-sink) deliver one. Each keeps its position durably (edge/connectors/README.md).',
});

/** The `sparkplug` option of an MQTT route: decode Sparkplug B payloads into JSON records. */
export const SparkplugRouteOption = Type.Optional(oneOf(['per-payload', 'per-metric'] as const, {
  description: 'Decode Sparkplug B payloads (spBv1.0/… topics) into JSON records: one per payload, or one per metric. Unset: the payload is stored as it came.',
}));
