// Source coordinates in record headers. Every record the mirror writes to the central
// cluster carries where it came from: the edge, the edge topic, the partition and the
// offset there. They make each record traceable, and they are how the mirror resumes
// exactly once: the last record of a target partition says which source offset was
// delivered last (see tail-scan.ts).
//
// Records pulled down from the central cluster (reverse rules) carry the central
// coordinates the same way, so that the edge log itself says how far it has come.
//
// Values are decimal ASCII: any Kafka tool (kcat -f '%h') shows them as they are, and
// zstd on the link makes their repetition nearly free.
import type { RecordHeaderInput } from '../shared/kafka/record-batch.ts';

export const SourceHeader = {
  edge: 'tributary.edge',
  topic: 'tributary.topic',
  partition: 'tributary.partition',
  offset: 'tributary.offset',
} as const;

export const CentralHeader = {
  topic: 'tributary.central.topic',
  partition: 'tributary.central.partition',
  offset: 'tributary.central.offset',
} as const;

export interface SourceCoordinates {
  edge: string;
  topic: string;
  partition: number;
  offset: bigint;
}

export interface CentralCoordinates {
  topic: string;
  partition: number;
  offset: bigint;
}

/** A header as decoded by any of the codecs at hand: key as text or bytes, value as bytes. */
export interface HeaderLike {
  key: string | Buffer;
  value: Buffer | null | undefined;
}

/** Largest decimal offset accepted in a header: int64. */
const OFFSET_MAX = 2n ** 63n - 1n;
const DECIMAL_PATTERN = /^(0|[1-9][0-9]{0,18})$/;

export function sourceHeaders(coordinates: SourceCoordinates): RecordHeaderInput[] {
  return [
    { key: SourceHeader.edge, value: coordinates.edge },
    { key: SourceHeader.topic, value: coordinates.topic },
    { key: SourceHeader.partition, value: String(coordinates.partition) },
    { key: SourceHeader.offset, value: coordinates.offset.toString() },
  ];
}

export function centralHeaders(coordinates: CentralCoordinates): RecordHeaderInput[] {
  return [
    { key: CentralHeader.topic, value: coordinates.topic },
    { key: CentralHeader.partition, value: String(coordinates.partition) },
    { key: CentralHeader.offset, value: coordinates.offset.toString() },
  ];
}

/**
 * The source coordinates of a record, or undefined when it carries none or they are
 * malformed. When a key appears twice the last one counts: a record mirrored twice (edge
 * to gateway to datacenter) keeps the first hop's headers and gets the newest after them.
 */
export function readSourceCoordinates(headers: readonly HeaderLike[]): SourceCoordinates | undefined {
  const values = lastValues(headers, Object.values(SourceHeader));
  const edge = values.get(SourceHeader.edge);
  const topic = values.get(SourceHeader.topic);
  const partition = parsePartition(values.get(SourceHeader.partition));
  const offset = parseOffset(values.get(SourceHeader.offset));
  if (edge === undefined || topic === undefined || partition === undefined || offset === undefined) return undefined;
  return { edge, topic, partition, offset };
}

export function readCentralCoordinates(headers: readonly HeaderLike[]): CentralCoordinates | undefined {
  const values = lastValues(headers, Object.values(CentralHeader));
  const topic = values.get(CentralHeader.topic);
  const partition = parsePartition(values.get(CentralHeader.partition));
  const offset = parseOffset(values.get(CentralHeader.offset));
  if (topic === undefined || partition === undefined || offset === undefined) return undefined;
  return { topic, partition, offset };
}

/** Matches the records that came from one edge partition, for the tail scan. */
export function sourceOffsetMatcher(edge: string, topic: string, partition: number): (headers: readonly HeaderLike[]) => bigint | undefined {
  return (headers) => {
    const source = readSourceCoordinates(headers);
    return source !== undefined && source.edge === edge && source.topic === topic && source.partition === partition ? source.offset : undefined;
  };
}

/** Matches the records that came from one central partition (reverse rules). */
export function centralOffsetMatcher(topic: string, partition: number): (headers: readonly HeaderLike[]) => bigint | undefined {
  return (headers) => {
    const central = readCentralCoordinates(headers);
    return central !== undefined && central.topic === topic && central.partition === partition ? central.offset : undefined;
  };
}

function lastValues(headers: readonly HeaderLike[], keys: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const header of headers) {
    const key = typeof header.key === 'string' ? header.key : header.key.toString('utf8');
    if (!keys.includes(key) || header.value === null || header.value === undefined) continue;
    values.set(key, header.value.toString('utf8'));
  }
  return values;
}

function parsePartition(text: string | undefined): number | undefined {
  if (text === undefined || !DECIMAL_PATTERN.test(text)) return undefined;
  const value = Number(text);
  return value <= 0x7fffffff ? value : undefined;
}

function parseOffset(text: string | undefined): bigint | undefined {
  if (text === undefined || !DECIMAL_PATTERN.test(text)) return undefined;
  const value = BigInt(text);
  return value <= OFFSET_MAX ? value : undefined;
}
