// The Kafka wire protocol, broker side: parse a request frame, build a response frame.
// shared/kafka is built in layers, each importing only those before it: protocol/ (the
// encodings: bytes, varints, the schema vocabulary and its codec, Kafka's error codes and
// API keys), apis/ (one definition per API, and the list of those served), then wire/
// (whole frames of the served APIs). This file gathers what a client or server of the
// protocol needs from all three.
//
//   const header = parseRequestHeader(frame);            // never needs the body's schema
//   const request = decodeRequest(frame, header);        // typed by request.apiKey
//   socket.write(encodeResponse(request.apiKey, request.apiVersion, header.correlationId, body));
//
// A request for an API or version this broker does not serve throws a KafkaProtocolError
// (KAFKA_API_UNSUPPORTED / KAFKA_VERSION_UNSUPPORTED); ApiVersions is then answered with
// `encodeApiVersionsFallback(header.correlationId)` and other APIs close the connection.
export {
  assertSupported,
  decodeRequest,
  decodeResponse,
  encodeApiVersionsFallback,
  encodeRequest,
  encodeResponse,
  encodeResponseChunks,
  isFlexibleVersion,
  parseRequestHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  supportedApiVersions,
} from './frames.ts';
export type { DecodedRequest, DecodedResponse, RequestHeader } from './frames.ts';
export { KafkaProtocolError } from '../protocol/errors.ts';
export type { KafkaProtocolErrorCode, KafkaProtocolErrorDetails } from '../protocol/errors.ts';
export { ErrorCode, KAFKA_ERRORS, kafkaError } from '../protocol/error-codes.ts';
export type { ErrorCodeName, KafkaErrorInfo } from '../protocol/error-codes.ts';
export { ApiKey, KAFKA_APIS, apiName, kafkaApi } from '../protocol/api-keys.ts';
export type { ApiKeyName, KafkaApi } from '../protocol/api-keys.ts';
export { ARRAY_LENGTH_MAX, BYTES_MAX, FRAME_BYTES_MAX, STRING_BYTES_MAX, TAGGED_FIELD_COUNT_MAX } from '../protocol/limits.ts';
export { ByteReader, DecodeFailure } from '../protocol/reader.ts';
export { ByteWriter } from '../protocol/writer.ts';
export { ZERO_UUID, describeMessage } from '../protocol/schema.ts';
export { API_DEFINITIONS, SUPPORTED_APIS, apiDefinition, isSupportedVersion } from '../apis/index.ts';
export type {
  DecodedResponseBody,
  RequestBody,
  RequestBodyInput,
  ResponseBody,
  ServedApi,
  ServedApiKey,
  SupportedApi,
} from '../apis/index.ts';
