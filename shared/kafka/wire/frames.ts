// Whole frames: request and response headers around a message body.
//
// A frame on the wire is a 4-byte big-endian length followed by that many bytes. Functions
// that read take the bytes after the length prefix (the server has already cut the frame);
// functions that write return the complete frame, prefix included.
//
// Request header v1 = api_key api_version correlation_id client_id; v2 adds a tagged-field
// section and is used by flexible versions (KIP-482). client_id stays a classic nullable
// string in both. Response header v0 = correlation_id; v1 adds a tagged-field section for
// flexible versions, except that ApiVersions responses always use v0 so that a client can read
// them before it knows which versions the broker speaks (KIP-511).
import {
  SUPPORTED_APIS,
  apiDefinition,
  apiVersionsApi,
} from '../apis/index.ts';
import type { DecodedResponseBody, RequestBody, RequestBodyInput, ResponseBody, ServedApiKey } from '../apis/index.ts';
import { kafkaApi } from '../protocol/api-keys.ts';
import { formatPath, readStruct, writeStruct, EncodeFailure } from '../protocol/codec.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { KafkaProtocolError } from '../protocol/errors.ts';
import { FRAME_BYTES_MAX, TAGGED_FIELD_COUNT_MAX } from '../protocol/limits.ts';
import { ByteReader, DecodeFailure } from '../protocol/reader.ts';
import { inVersions } from '../protocol/schema.ts';
import type { ApiDefinition } from '../protocol/schema.ts';
import { ByteWriter } from '../protocol/writer.ts';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** 2 when the request uses a flexible version (tagged fields follow client_id), else 1. */
  headerVersion: 1 | 2;
  /** Bytes the header takes at the start of the frame: the body starts here. */
  size: number;
}

/** A decoded request, discriminated by `apiKey` so that `body` narrows with it. */
export type DecodedRequest = {
  [Key in ServedApiKey]: { apiKey: Key; apiVersion: number; header: RequestHeader; body: RequestBody<Key> };
}[ServedApiKey];

export interface DecodedResponse<Key extends ServedApiKey> {
  correlationId: number;
  body: DecodedResponseBody<Key>;
}

/**
 * Whether `apiVersion` of `apiKey` uses flexible encodings. Open ranges ("12+") count versions
 * above the ones we serve as flexible too, as Kafka does, so that an ApiVersions request newer
 * than ours still has its header read correctly. Unknown API keys count as not flexible.
 */
export function isFlexibleVersion(apiKey: number, apiVersion: number): boolean {
  const served = apiDefinition(apiKey);
  if (served) return inVersions(served.flexibleVersions, apiVersion);
  const known = kafkaApi(apiKey);
  return known !== undefined && known.firstFlexibleVersion !== null && apiVersion >= known.firstFlexibleVersion;
}

export function requestHeaderVersion(apiKey: number, apiVersion: number): 1 | 2 {
  return isFlexibleVersion(apiKey, apiVersion) ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  // KIP-511: ApiVersions responses keep header v0 in every version.
  if (apiKey === apiVersionsApi.apiKey) return 0;
  return isFlexibleVersion(apiKey, apiVersion) ? 1 : 0;
}

/**
 * Reads the request header without needing the body's schema, so a server can answer (or
 * log) a request for an API or version it does not serve. Throws a `KafkaProtocolError`
 * (KAFKA_FRAME_MALFORMED) only if the header itself is cut short or malformed.
 */
export function parseRequestHeader(frame: Buffer): RequestHeader {
  const reader = new ByteReader(frame);
  let apiKey: number | null = null;
  let apiVersion: number | null = null;
  let correlationId: number | null = null;
  try {
    checkFrameSize(frame.length);
    apiKey = reader.readInt16();
    apiVersion = reader.readInt16();
    correlationId = reader.readInt32();
    const clientId = reader.readNullableString();
    const headerVersion = requestHeaderVersion(apiKey, apiVersion);
    // The request header defines no tagged fields of its own; any that a client sends are skipped.
    if (headerVersion === 2) skipTaggedFields(reader);
    return { apiKey, apiVersion, correlationId, clientId, headerVersion, size: reader.offset };
  } catch (error) {
    if (error instanceof DecodeFailure) {
      throw new KafkaProtocolError('KAFKA_FRAME_MALFORMED', `request header: ${error.message}`, {
        apiKey, apiVersion, correlationId, direction: 'request', field: '', byteOffset: error.byteOffset,
      });
    }
    throw error;
  }
}

function checkFrameSize(byteCount: number): void {
  if (byteCount > FRAME_BYTES_MAX) throw new DecodeFailure(`frame of ${byteCount} bytes exceeds the limit of ${FRAME_BYTES_MAX}`, 0);
}

function skipTaggedFields(reader: ByteReader): void {
  const countOffset = reader.offset;
  const count = reader.readUnsignedVarint();
  if (count > TAGGED_FIELD_COUNT_MAX) reader.fail(`tagged field count ${count} exceeds the limit of ${TAGGED_FIELD_COUNT_MAX}`, countOffset);
  for (let index = 0; index < count; index++) {
    reader.readUnsignedVarint();
    const sizeOffset = reader.offset;
    const size = reader.readUnsignedVarint();
    reader.checkLength(size, FRAME_BYTES_MAX, 'tagged field', sizeOffset);
    reader.skip(size, 'tagged field');
  }
}

/**
 * Checks that this broker serves `apiKey` at `apiVersion`; throws a `KafkaProtocolError`
 * with code KAFKA_API_UNSUPPORTED or KAFKA_VERSION_UNSUPPORTED otherwise.
 */
export function assertSupported(header: { apiKey: number; apiVersion: number; correlationId: number | null }): ApiDefinition {
  const api = apiDefinition(header.apiKey);
  const details = {
    apiKey: header.apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId,
    direction: 'request' as const, field: '', byteOffset: null,
  };
  if (api === undefined) {
    throw new KafkaProtocolError('KAFKA_API_UNSUPPORTED', 'this broker does not serve this API', details);
  }
  if (!inVersions(api.versions, header.apiVersion)) {
    throw new KafkaProtocolError('KAFKA_VERSION_UNSUPPORTED', `this broker serves versions ${api.versions.min} to ${api.versions.max}`, details);
  }
  return api;
}

/**
 * Decodes a request frame (the bytes after the length prefix). Throws a `KafkaProtocolError`:
 * KAFKA_API_UNSUPPORTED or KAFKA_VERSION_UNSUPPORTED (answer ApiVersions with
 * `encodeApiVersionsFallback`, close the connection otherwise), or KAFKA_FRAME_MALFORMED with
 * the field and byte offset that could not be read.
 *
 * Records fields are views of `frame`, not copies: keep the frame unchanged while they are used.
 */
export function decodeRequest(frame: Buffer, header: RequestHeader = parseRequestHeader(frame)): DecodedRequest {
  const api = assertSupported(header);
  const flexible = inVersions(api.flexibleVersions, header.apiVersion);
  const body = decodeBody(api, 'request', header.apiVersion, flexible, frame, header.size, header.correlationId);
  return { apiKey: header.apiKey, apiVersion: header.apiVersion, header, body } as DecodedRequest;
}

/** Decodes a response frame (the bytes after the length prefix) of a served API and version. */
export function decodeResponse<Key extends ServedApiKey>(apiKey: Key, apiVersion: number, frame: Buffer): DecodedResponse<Key> {
  const api = assertSupported({ apiKey, apiVersion, correlationId: null });
  const reader = new ByteReader(frame);
  let correlationId: number;
  try {
    checkFrameSize(frame.length);
    correlationId = reader.readInt32();
    if (responseHeaderVersion(apiKey, apiVersion) === 1) skipTaggedFields(reader);
  } catch (error) {
    if (error instanceof DecodeFailure) {
      throw new KafkaProtocolError('KAFKA_FRAME_MALFORMED', `response header: ${error.message}`, {
        apiKey, apiVersion, correlationId: null, direction: 'response', field: '', byteOffset: error.byteOffset,
      });
    }
    throw error;
  }
  const flexible = inVersions(api.flexibleVersions, apiVersion);
  const body = decodeBody(api, 'response', apiVersion, flexible, frame, reader.offset, correlationId);
  return { correlationId, body: body as DecodedResponseBody<Key> };
}

function decodeBody(
  api: ApiDefinition,
  direction: 'request' | 'response',
  apiVersion: number,
  flexible: boolean,
  frame: Buffer,
  offset: number,
  correlationId: number,
): Record<string, unknown> {
  const reader = new ByteReader(frame, offset);
  try {
    const body = readStruct(reader, direction === 'request' ? api.request : api.response, apiVersion, flexible);
    // Bytes after the end of a request are ignored, as Apache Kafka's broker ignores them:
    // librdkafka 2.3 and later send three stray bytes after Metadata v12 (librdkafka #5049),
    // and refusing them cut off kcat -L and every regex subscription. A request that ends
    // too soon is still refused, field by field. Responses are ours to read strictly.
    if (direction === 'response' && reader.remaining !== 0) reader.fail(`${reader.remaining} bytes follow the end of the message`);
    return body;
  } catch (error) {
    if (error instanceof DecodeFailure) {
      throw new KafkaProtocolError('KAFKA_FRAME_MALFORMED', error.message, {
        apiKey: api.apiKey, apiVersion, correlationId, direction, field: formatPath(error.path), byteOffset: error.byteOffset,
      });
    }
    throw error;
  }
}

function encodeFrame(
  api: ApiDefinition,
  direction: 'request' | 'response',
  apiVersion: number,
  writeHeader: (writer: ByteWriter) => void,
  body: unknown,
): Buffer[] {
  if (!inVersions(api.versions, apiVersion)) {
    throw new Error(`assertion failed: cannot encode ${api.name} v${apiVersion} ${direction}: served versions are ${api.versions.text}`);
  }
  const flexible = inVersions(api.flexibleVersions, apiVersion);
  const writer = new ByteWriter();
  writer.writeInt32(0); // The length prefix, filled in below.
  writeHeader(writer);
  try {
    writeStruct(writer, direction === 'request' ? api.request : api.response, body, apiVersion, flexible);
  } catch (error) {
    if (error instanceof EncodeFailure) {
      const field = error.path.length === 0 ? '' : ` field ${formatPath(error.path)}`;
      throw new Error(`assertion failed: cannot encode ${api.name} v${apiVersion} ${direction}${field}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const frameBytes = writer.length - 4;
  if (frameBytes > 0x7fffffff) throw new Error(`assertion failed: ${api.name} ${direction} of ${frameBytes} bytes does not fit a frame`);
  const chunks = writer.toChunks();
  chunks[0]!.writeInt32BE(frameBytes, 0);
  return chunks;
}

function servedApi(apiKey: number): ApiDefinition {
  const api = apiDefinition(apiKey);
  if (api === undefined) throw new Error(`assertion failed: API key ${apiKey} is not served`);
  return api;
}

/**
 * Encodes a response as a list of buffers to write in order: the length prefix and header,
 * then the body, with large records fields referenced rather than copied (for
 * `socket.cork()` + writes, or `writev`). `encodeResponse` joins them.
 *
 * A body that does not fit its schema is a programmer error and throws an assertion.
 */
export function encodeResponseChunks<Key extends ServedApiKey>(
  apiKey: Key,
  apiVersion: number,
  correlationId: number,
  body: ResponseBody<Key>,
): Buffer[] {
  const api = servedApi(apiKey);
  return encodeFrame(api, 'response', apiVersion, (writer) => {
    writer.writeInt32(correlationId);
    if (responseHeaderVersion(apiKey, apiVersion) === 1) writer.writeUnsignedVarint(0);
  }, body);
}

/** Encodes a response as one frame, length prefix and header included. */
export function encodeResponse<Key extends ServedApiKey>(
  apiKey: Key,
  apiVersion: number,
  correlationId: number,
  body: ResponseBody<Key>,
): Buffer {
  const chunks = encodeResponseChunks(apiKey, apiVersion, correlationId, body);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Encodes a request as one frame, length prefix and header included (for clients and tests). */
export function encodeRequest<Key extends ServedApiKey>(
  apiKey: Key,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: RequestBodyInput<Key>,
): Buffer {
  const api = servedApi(apiKey);
  const chunks = encodeFrame(api, 'request', apiVersion, (writer) => {
    writer.writeInt16(apiKey);
    writer.writeInt16(apiVersion);
    writer.writeInt32(correlationId);
    if (clientId === null) {
      writer.writeInt16(-1);
    } else {
      const byteLength = Buffer.byteLength(clientId, 'utf8');
      writer.writeInt16(byteLength);
      writer.writeUtf8(clientId, byteLength);
    }
    if (requestHeaderVersion(apiKey, apiVersion) === 2) writer.writeUnsignedVarint(0);
  }, body);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** The ApiVersions `apiKeys` list: every served API with its version range. */
export function supportedApiVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return SUPPORTED_APIS.map((api) => ({ apiKey: api.apiKey, minVersion: api.minVersion, maxVersion: api.maxVersion }));
}

/**
 * The answer to an ApiVersions request of a version this broker does not serve: error
 * UNSUPPORTED_VERSION with the supported ranges, in the v0 layout that every client can read,
 * so that it retries with a version from the list (KIP-511).
 */
export function encodeApiVersionsFallback(correlationId: number): Buffer {
  return encodeResponse(apiVersionsApi.apiKey, 0, correlationId, {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: supportedApiVersions(),
    throttleTimeMs: 0,
  });
}
