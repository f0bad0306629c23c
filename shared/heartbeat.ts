// The heartbeat record: one small CBOR map per interval, keyed by the edge id, on the
// central heartbeat topic. Short keys keep it near 100 bytes, which matters on a metered
// link that carries one every 30 seconds for years. `tributary fleet` decodes it.
//
//   key  meaning                                   CBOR type
//   v    format version (1)                        uint
//   e    edge id                                   text
//   t    sent at, ms since the epoch               uint
//   u    mirror started at, ms since the epoch     uint
//   s    link state                                text: up | connecting | down | closed-window
//   lr   lag in records (all partitions)           uint
//   lb   lag in bytes                              uint
//   ls   lag in seconds (oldest undelivered)       float
//   bs   bytes sent since start                    uint
//   rs   records delivered since start             uint
//   tp   bytes sent per second over the interval   float
//   er   errors since start                        uint
//   le   last error message, or null               text | null
//   lt   last error at, ms since the epoch, or 0   uint
//   ev   undelivered records evicted (data lost)   uint
//   p    partitions mirrored                       uint
//   cv   configuration version (optional)          text
//   sv   software version (optional)               text
//   tb   backlog per topic (optional): at most     array of [topic text, partitions uint, records uint]
//        HEARTBEAT_TOPICS_MAX topics, largest first
//
// The optional fields came later; a heartbeat without them is still version 1, and the
// fleet view shows them as unknown.
import { decode, encode } from 'cbor-x';
import { TributaryError } from './errors.ts';

export const HEARTBEAT_VERSION = 1;
/** An error message is cut to this many characters in a heartbeat: it says what, the edge's log says the rest. */
export const HEARTBEAT_ERROR_CHARACTERS_MAX = 200;
/** A heartbeat record larger than this is not one (the fleet view refuses it). */
export const HEARTBEAT_BYTES_MAX = 4096;
/** Topics listed with their backlog in one heartbeat: about 25 bytes each, so the record stays well under a kilobyte. */
export const HEARTBEAT_TOPICS_MAX = 32;
/** A version string longer than this is not one. */
const VERSION_CHARACTERS_MAX = 64;

export const LINK_STATES = ['up', 'connecting', 'down', 'closed-window'] as const;
export type LinkStateName = (typeof LINK_STATES)[number];

export interface Heartbeat {
  edge: string;
  sentAtMs: number;
  startedAtMs: number;
  linkState: LinkStateName;
  lagRecords: number;
  lagBytes: number;
  lagSeconds: number;
  bytesSent: number;
  recordsDelivered: number;
  throughputBytesPerSecond: number;
  errors: number;
  lastError: string | null;
  lastErrorAtMs: number;
  evictedUndeliveredRecords: number;
  partitions: number;
  /** The edge's configuration version (shared/config/config-version.ts); null when not reported. */
  configVersion?: string | null;
  /** Tributary's version on the edge; null when not reported. */
  softwareVersion?: string | null;
  /** Backlog per mirrored topic, largest first; empty when not reported. */
  topics?: TopicBacklog[];
}

export interface TopicBacklog {
  topic: string;
  partitions: number;
  backlogRecords: number;
}

/**
 * Backlog per topic from the mirror's per-partition report rows (each row's backlog as the
 * report states it), largest first, at most HEARTBEAT_TOPICS_MAX.
 */
export function topicBacklogs(rows: readonly { topic: string; backlogRecords: number }[]): TopicBacklog[] {
  const byTopic = new Map<string, TopicBacklog>();
  for (const row of rows) {
    const entry = byTopic.get(row.topic) ?? { topic: row.topic, partitions: 0, backlogRecords: 0 };
    entry.partitions += 1;
    entry.backlogRecords += row.backlogRecords;
    byTopic.set(row.topic, entry);
  }
  return [...byTopic.values()].sort((a, b) => b.backlogRecords - a.backlogRecords || (a.topic < b.topic ? -1 : 1)).slice(0, HEARTBEAT_TOPICS_MAX);
}

const FIELDS = {
  edge: 'e', sentAtMs: 't', startedAtMs: 'u', linkState: 's', lagRecords: 'lr', lagBytes: 'lb', lagSeconds: 'ls',
  bytesSent: 'bs', recordsDelivered: 'rs', throughputBytesPerSecond: 'tp', errors: 'er', lastError: 'le',
  lastErrorAtMs: 'lt', evictedUndeliveredRecords: 'ev', partitions: 'p',
} as const satisfies Record<Exclude<keyof Heartbeat, OptionalField>, string>;
type OptionalField = 'configVersion' | 'softwareVersion' | 'topics';
const OPTIONAL_FIELDS = { configVersion: 'cv', softwareVersion: 'sv', topics: 'tb' } as const satisfies Record<OptionalField, string>;

export function encodeHeartbeat(heartbeat: Heartbeat): Buffer {
  const map: Record<string, unknown> = { v: HEARTBEAT_VERSION };
  for (const [name, key] of Object.entries(FIELDS) as [keyof typeof FIELDS, string][]) map[key] = heartbeat[name];
  if (heartbeat.configVersion) map[OPTIONAL_FIELDS.configVersion] = heartbeat.configVersion.slice(0, VERSION_CHARACTERS_MAX);
  if (heartbeat.softwareVersion) map[OPTIONAL_FIELDS.softwareVersion] = heartbeat.softwareVersion.slice(0, VERSION_CHARACTERS_MAX);
  if (heartbeat.topics && heartbeat.topics.length > 0) {
    map[OPTIONAL_FIELDS.topics] = heartbeat.topics.slice(0, HEARTBEAT_TOPICS_MAX).map((entry) => [entry.topic, entry.partitions, entry.backlogRecords]);
  }
  const lastError = heartbeat.lastError;
  map[FIELDS.lastError] = lastError === null ? null : lastError.slice(0, HEARTBEAT_ERROR_CHARACTERS_MAX);
  // Rounded: a heartbeat reports a gauge, not a measurement to the microsecond.
  map[FIELDS.lagSeconds] = Math.round(heartbeat.lagSeconds * 10) / 10;
  map[FIELDS.throughputBytesPerSecond] = Math.round(heartbeat.throughputBytesPerSecond);
  return Buffer.from(encode(map));
}

export function decodeHeartbeat(bytes: Buffer): Heartbeat {
  if (bytes.length > HEARTBEAT_BYTES_MAX) throw invalid(`${bytes.length} bytes is larger than a heartbeat (${HEARTBEAT_BYTES_MAX})`);
  let map: unknown;
  try {
    map = decode(bytes);
  } catch (error) {
    throw invalid(`not CBOR: ${(error as Error).message}`);
  }
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw invalid('not a CBOR map');
  const fields = map as Record<string, unknown>;
  if (fields.v !== HEARTBEAT_VERSION) throw invalid(`version ${String(fields.v)} is not ${HEARTBEAT_VERSION}`);
  const text = (key: string): string => {
    const value = fields[key];
    if (typeof value !== 'string') throw invalid(`field ${key} is not text`);
    return value;
  };
  const number = (key: string): number => {
    const value = fields[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(`field ${key} is not a non-negative number`);
    return value;
  };
  const linkState = text(FIELDS.linkState);
  if (!(LINK_STATES as readonly string[]).includes(linkState)) throw invalid(`link state "${linkState}" is unknown`);
  const lastError = fields[FIELDS.lastError];
  if (lastError !== null && typeof lastError !== 'string') throw invalid(`field ${FIELDS.lastError} is neither text nor null`);
  const optionalText = (key: string): string | null => {
    const value = fields[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string' || value.length > VERSION_CHARACTERS_MAX) throw invalid(`field ${key} is not a version`);
    return value;
  };
  return {
    edge: text(FIELDS.edge),
    sentAtMs: number(FIELDS.sentAtMs),
    startedAtMs: number(FIELDS.startedAtMs),
    linkState: linkState as LinkStateName,
    lagRecords: number(FIELDS.lagRecords),
    lagBytes: number(FIELDS.lagBytes),
    lagSeconds: number(FIELDS.lagSeconds),
    bytesSent: number(FIELDS.bytesSent),
    recordsDelivered: number(FIELDS.recordsDelivered),
    throughputBytesPerSecond: number(FIELDS.throughputBytesPerSecond),
    errors: number(FIELDS.errors),
    lastError,
    lastErrorAtMs: number(FIELDS.lastErrorAtMs),
    evictedUndeliveredRecords: number(FIELDS.evictedUndeliveredRecords),
    partitions: number(FIELDS.partitions),
    configVersion: optionalText(OPTIONAL_FIELDS.configVersion),
    softwareVersion: optionalText(OPTIONAL_FIELDS.softwareVersion),
    topics: decodeTopics(fields[OPTIONAL_FIELDS.topics]),
  };
}

function decodeTopics(value: unknown): TopicBacklog[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > HEARTBEAT_TOPICS_MAX) throw invalid(`field ${OPTIONAL_FIELDS.topics} is not a list of at most ${HEARTBEAT_TOPICS_MAX} topics`);
  return value.map((entry: unknown) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !isCount(entry[1]) || !isCount(entry[2])) throw invalid(`field ${OPTIONAL_FIELDS.topics} holds an entry that is not [topic, partitions, records]`);
    return { topic: entry[0], partitions: entry[1], backlogRecords: entry[2] };
  });
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function invalid(reason: string): TributaryError {
  return new TributaryError('PAYLOAD_INVALID', `heartbeat record is invalid: ${reason}`, {});
}
