// Operating errors: conditions a user can act on (bad config, disk full, corrupt
// segment). Each has a stable string code that is never reused; the catalogue below is
// the single list of them. Protocol error codes (Kafka, MQTT) are data in responses and
// do not live here; programmer errors are assertions that crash.

export const ErrorCodes = {
  CONFIG_INVALID: 'Configuration file is invalid',
  CONFIG_UNREADABLE: 'Configuration file cannot be read',
  STORAGE_IO: 'An I/O error occurred in the log store',
  STORAGE_DISK_FULL: 'The disk holding the log is full',
  STORAGE_CORRUPT: 'A segment or index is corrupt',
  STORAGE_CLOSED: 'The log store is closed',
  TOPIC_NOT_FOUND: 'The topic does not exist',
  TOPIC_EXISTS: 'The topic already exists',
  PARTITION_NOT_FOUND: 'The partition does not exist',
  INVALID_RECORD_BATCH: 'A record batch is malformed',
  RECORD_TOO_LARGE: 'A record batch exceeds the size limit',
  RECORD_KEY_MISSING: 'A record without a key was sent to a compacted topic',
  OFFSET_OUT_OF_RANGE: 'The offset is outside the log',
  DUPLICATE_SEQUENCE: 'The producer sequence number was already appended',
  OUT_OF_ORDER_SEQUENCE: 'The producer sequence number is out of order',
  PRODUCER_FENCED: 'The producer epoch is older than the current one',
  LISTEN_FAILED: 'A listener could not bind its address',
  LINK_OPTION_INVALID: 'A fault-injecting link option is invalid',
  SIM_OPTION_INVALID: 'A device fleet simulator option is invalid',
  PAYLOAD_INVALID: 'A payload cannot be decoded in the expected format',
  KAFKA_FRAME_MALFORMED: 'A Kafka protocol frame cannot be decoded',
  KAFKA_API_UNSUPPORTED: 'The Kafka API key is not one this broker serves',
  KAFKA_VERSION_UNSUPPORTED: 'The Kafka API version is not one this broker serves',
  KAFKA_SASL_REQUIRED: 'The Kafka listener requires SASL authentication first',
  COMPRESSION_UNSUPPORTED: 'The compression codec is unknown',
  COMPRESSED_DATA_CORRUPT: 'Compressed data cannot be decompressed',
  DECOMPRESSED_TOO_LARGE: 'Compressed data expands beyond the size limit',
  CLI_OPTION_INVALID: 'An operator command option is invalid',
  BROKER_UNREACHABLE: 'The Kafka broker cannot be reached',
  BROKER_REQUEST_FAILED: 'The Kafka broker refused or failed a request',
  GROUP_NOT_FOUND: 'The consumer group does not exist',
  ADMIN_API_FAILED: 'The HTTP admin API cannot be reached or answered with an error',
  INVALID_TOPIC: 'The topic name breaks the naming rules',
  INVALID_PARTITIONS: 'The partition count is invalid',
  TOPIC_LIMIT_REACHED: 'Creating the topic or partitions would pass topics.maxTopics or topics.maxPartitions',
  INVALID_TOPIC_CONFIG: 'A topic setting is invalid',
  MIRROR_TARGET_FAILED: 'The central cluster cannot be reached or refused a mirror request',
  MIRROR_SOURCE_FAILED: 'The mirror cannot read the edge log or write to it',
  EXPRESSION_INVALID: 'A pipeline expression cannot be parsed, or uses what expressions may not (the configuration names the pipeline and step)',
  MQTT_PUBLISH_REFUSED: 'An MQTT publish was refused (no route, too large for its log topic, or dropped under load)',
  MQTT_SESSION_STORE_UNSUPPORTED: 'The MQTT session tables were written by a newer version of Tributary',
  MQTT_SESSION_STORE_CLOSED: 'The MQTT session store is closed',
  CONNECTOR_PEER_FAILED: 'A connector\'s peer (a PLC, a server, a receiver, a file) failed or answered what cannot be used',
  CONNECTOR_POSITION_FAILED: 'A connector cannot read or keep its position',
  ACL_FILE_CORRUPT: 'The ACL file under the data directory cannot be read back',
  ACL_LIMIT: 'A change would hold more ACLs than the limit',
  SCRAM_CREDENTIALS_FILE_CORRUPT: 'The SCRAM credential file under the data directory cannot be read back',
  SCRAM_CREDENTIALS_LIMIT: 'A change would hold more SCRAM users than the limit',
  AUTHORIZATION_CONFIG_INVALID: 'A super user or ACL setting names no valid principal',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class TributaryError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TributaryError';
    this.code = code;
    this.details = details;
  }
}

export function isTributaryError(error: unknown, code?: ErrorCode): error is TributaryError {
  return error instanceof TributaryError && (code === undefined || error.code === code);
}

/** Programmer errors: an invariant that must hold. Crashes on purpose. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
