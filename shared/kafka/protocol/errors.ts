// The operating error of the codec: a frame that cannot be decoded, or a request for an API
// or version this broker does not serve. Kafka error codes that travel in responses are data
// (error-codes.ts), not exceptions.
import { TributaryError, type ErrorCode } from '../../errors.ts';
import { apiName } from './api-keys.ts';

/** The codes a KafkaProtocolError carries, from the catalogue in shared/errors.ts. */
export const KAFKA_PROTOCOL_ERROR_CODES = ['KAFKA_FRAME_MALFORMED', 'KAFKA_API_UNSUPPORTED', 'KAFKA_VERSION_UNSUPPORTED'] as const satisfies readonly ErrorCode[];
export type KafkaProtocolErrorCode = (typeof KAFKA_PROTOCOL_ERROR_CODES)[number];

export interface KafkaProtocolErrorDetails {
  apiKey: number | null;
  apiVersion: number | null;
  /** Which message was being read: a request or a response. */
  direction: 'request' | 'response';
  /** The field being read, e.g. `topics[0].partitions[3].records`; empty for the frame itself. */
  field: string;
  /** Offset of the failure within the frame (the bytes after the 4-byte length prefix). */
  byteOffset: number | null;
  /** The correlation id, when the header could be read, so a server can still answer. */
  correlationId: number | null;
}

export class KafkaProtocolError extends TributaryError {
  declare readonly code: KafkaProtocolErrorCode;
  readonly apiKey: number | null;
  readonly apiName: string | null;
  readonly apiVersion: number | null;
  readonly direction: 'request' | 'response';
  readonly field: string;
  readonly byteOffset: number | null;
  readonly correlationId: number | null;

  constructor(code: KafkaProtocolErrorCode, reason: string, details: KafkaProtocolErrorDetails, options?: { cause?: unknown }) {
    const name = details.apiKey === null ? null : apiName(details.apiKey);
    const what = details.apiKey === null
      ? `Kafka ${details.direction}`
      : `${name ?? `API key ${details.apiKey}`} v${details.apiVersion} ${details.direction}`;
    const where = [
      details.byteOffset === null ? null : `at byte ${details.byteOffset}`,
      details.field === '' ? null : `in field ${details.field}`,
    ].filter((part) => part !== null).join(' ');
    super(code, `${what}${where === '' ? '' : ` ${where}`}: ${reason}`, { ...details, apiName: name }, options);
    this.name = 'KafkaProtocolError';
    this.apiKey = details.apiKey;
    this.apiName = name;
    this.apiVersion = details.apiVersion;
    this.direction = details.direction;
    this.field = details.field;
    this.byteOffset = details.byteOffset;
    this.correlationId = details.correlationId;
  }
}
