// Drives the protocol codecs of two real clients, kafkajs 2.2 and @platformatic/kafka 2.x,
// the way their connections do: their request encoders make the bytes our decoder must read,
// and their response decoders read the bytes our encoder makes. Neither shares code with ours.
import { createRequire } from 'node:module';
import * as assert from 'uvu/assert';
import * as platformatic from '@platformatic/kafka';
import type { ApiDefinition } from '../../../../shared/kafka/protocol/schema.ts';
import {
  decodeRequest,
  encodeResponse,
  parseRequestHeader,
} from '../../../../shared/kafka/wire/index.ts';
import type { DecodedRequest, ServedApiKey } from '../../../../shared/kafka/wire/index.ts';
import { expectedValue, sampleValue, versionsOf } from './samples.ts';

const require = createRequire(import.meta.url);
const CORRELATION_ID = 4242;

// --- kafkajs ------------------------------------------------------------------------------

interface KafkajsRequest { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> }
interface KafkajsResponse { decode(payload: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> }

const kafkajsFrame = require('kafkajs/src/protocol/request.js') as (options: {
  correlationId: number;
  clientId: string;
  request: KafkajsRequest;
}) => Promise<{ buffer: Buffer }>;

/** The versions of an API kafkajs implements (its `requests/<name>/vN` folders). */
export function kafkajsVersions(directory: string): number[] {
  const { versions } = require(`kafkajs/src/protocol/requests/${directory}/index.js`) as { versions: string[] };
  return versions.map(Number).sort((a, b) => a - b);
}

/** Encodes a request with kafkajs and decodes it with ours; returns our decoded request. */
export async function decodeKafkajsRequest(directory: string, version: number, args: unknown): Promise<DecodedRequest> {
  const build = require(`kafkajs/src/protocol/requests/${directory}/v${version}/request.js`) as (args: unknown) => KafkajsRequest;
  const request = build(args);
  assert.is(request.apiVersion, version, `kafkajs ${directory} v${version}`);
  const frame = (await kafkajsFrame({ correlationId: CORRELATION_ID, clientId: 'kafkajs', request })).buffer;
  assert.is(frame.readInt32BE(0), frame.length - 4);
  const decoded = decodeRequest(frame.subarray(4));
  assert.is(decoded.header.clientId, 'kafkajs');
  assert.is(decoded.header.correlationId, CORRELATION_ID);
  return decoded;
}

/** Encodes a response with ours and decodes it with kafkajs (header v0: no flexible versions). */
export async function decodeWithKafkajs<Key extends ServedApiKey>(
  directory: string,
  apiKey: Key,
  version: number,
  body: Parameters<typeof encodeResponse<Key>>[3],
): Promise<Record<string, any>> {
  const response = require(`kafkajs/src/protocol/requests/${directory}/v${version}/response.js`) as KafkajsResponse;
  const frame = encodeResponse(apiKey, version, CORRELATION_ID, body);
  assert.is(frame.readInt32BE(4), CORRELATION_ID);
  return await response.decode(frame.subarray(8)) as Record<string, any>;
}

// --- @platformatic/kafka -------------------------------------------------------------------

type PlatformaticModule = {
  api: (connection: unknown, ...args: unknown[]) => void;
  /** Not exported by every version's module; the one handed to the connection is used. */
  parseResponse: (correlationId: number, apiKey: number, apiVersion: number, reader: unknown) => unknown;
};

interface Capture {
  apiKey: number;
  apiVersion: number;
  createPayload: () => { buffer: Buffer };
  parser: PlatformaticModule['parseResponse'];
  requestHeaderTags: boolean;
  responseHeaderTags: boolean;
}

function platformaticModule(prefix: string, version: number): PlatformaticModule | undefined {
  return (platformatic as unknown as Record<string, PlatformaticModule | undefined>)[`${prefix}V${version}`];
}

/** The versions of an API @platformatic/kafka implements (exports named `<prefix>V<n>`). */
export function platformaticVersions(prefix: string, api: ApiDefinition): number[] {
  return versionsOf(api.versions).filter((version) => platformaticModule(prefix, version) !== undefined);
}

function capture(prefix: string, version: number, args: unknown[]): Capture {
  const module = platformaticModule(prefix, version);
  assert.ok(module, `@platformatic/kafka has ${prefix}V${version}`);
  let captured: Capture | undefined;
  const connection = {
    send(apiKey: number, apiVersion: number, createPayload: () => { buffer: Buffer }, parser: PlatformaticModule['parseResponse'], requestHeaderTags: boolean, responseHeaderTags: boolean) {
      captured = { apiKey, apiVersion, createPayload, parser, requestHeaderTags, responseHeaderTags };
    },
  };
  module.api(connection, ...args, () => {});
  assert.ok(captured, `${prefix}V${version} sent a request`);
  return captured;
}

/** Encodes a request with @platformatic/kafka (its header as its connection writes it) and decodes it with ours. */
export function decodePlatformaticRequest(prefix: string, version: number, args: unknown[]): DecodedRequest {
  const sent = capture(prefix, version, args);
  assert.is(sent.apiVersion, version);
  const header = platformatic.Writer.create()
    .appendInt16(sent.apiKey)
    .appendInt16(sent.apiVersion)
    .appendInt32(CORRELATION_ID)
    .appendString('platformatic', false);
  if (sent.requestHeaderTags) header.appendTaggedFields();
  const frame = Buffer.concat([header.buffer, sent.createPayload().buffer]);
  const parsedHeader = parseRequestHeader(frame);
  assert.is(parsedHeader.headerVersion, sent.requestHeaderTags ? 2 : 1, `${prefix}V${version} request header version`);
  const decoded = decodeRequest(frame, parsedHeader);
  assert.is(decoded.header.clientId, 'platformatic');
  return decoded;
}

/**
 * Encodes a response with ours and parses it with @platformatic/kafka. Its parsers throw when
 * a response carries an error code, with the parsed response attached; that is returned too.
 */
export function decodeWithPlatformatic<Key extends ServedApiKey>(
  prefix: string,
  apiKey: Key,
  version: number,
  body: Parameters<typeof encodeResponse<Key>>[3],
): Record<string, any> {
  // The parser and header flags are passed to the connection before the payload is built, so no arguments are needed.
  const sent = capture(prefix, version, []);
  const frame = encodeResponse(apiKey, version, CORRELATION_ID, body);
  let offset = 8;
  if (sent.responseHeaderTags) {
    assert.is(frame[offset], 0, 'empty response header tagged fields');
    offset += 1;
  }
  const bodyBytes = frame.subarray(offset);
  const reader = platformatic.Reader.from(bodyBytes);
  let parsed: Record<string, any>;
  try {
    parsed = sent.parser(CORRELATION_ID, apiKey, version, reader) as Record<string, any>;
  } catch (error) {
    const response = (error as { response?: Record<string, any> }).response;
    if (response === undefined) throw error;
    parsed = response;
  }
  // The client must have read exactly the bytes we wrote: no field more, no field less.
  assert.is(reader.position, bodyBytes.length, `${prefix}V${version} read ${reader.position} of ${bodyBytes.length} body bytes`);
  return parsed;
}

// --- comparison ----------------------------------------------------------------------------

/**
 * Checks that every value a client decoded under a name we also use equals ours, and returns
 * how many leaf values were compared, so a test can insist that the comparison was not empty.
 */
export function compareShared(actual: unknown, expected: unknown, path = '', exclude: ReadonlySet<string> = new Set()): number {
  if (Array.isArray(actual) && Array.isArray(expected)) {
    assert.is(actual.length, expected.length, `${path} length`);
    return actual.reduce((sum: number, item, index) => sum + compareShared(item, expected[index], `${path}[${index}]`, exclude), 0);
  }
  if (isPlainObject(actual) && isPlainObject(expected)) {
    let compared = 0;
    for (const [key, value] of Object.entries(actual)) {
      if (key in expected && !exclude.has(key)) compared += compareShared(value, expected[key], path === '' ? key : `${path}.${key}`, exclude);
    }
    return compared;
  }
  if (actual instanceof Uint8Array && expected instanceof Uint8Array) {
    assert.is(Buffer.from(actual).toString('hex'), Buffer.from(expected).toString('hex'), path);
    return 1;
  }
  assert.equal(actual, expected, path);
  return 1;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

// --- generic response checks ---------------------------------------------------------------

interface Leaf { path: string; text: string }

function leavesOf(value: unknown, path: string, leaves: Leaf[], exclude: ReadonlySet<string>): Leaf[] {
  if (value === null || value === undefined) return leaves;
  if (Array.isArray(value)) {
    value.forEach((item, index) => leavesOf(item, `${path}[${index}]`, leaves, exclude));
  } else if (value instanceof Uint8Array) {
    leaves.push({ path, text: Buffer.from(value).toString('hex') });
  } else if (typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (!exclude.has(key)) leavesOf(child, path === '' ? key : `${path}.${key}`, leaves, exclude);
    }
  } else {
    leaves.push({ path, text: String(value) });
  }
  return leaves;
}

/**
 * Checks that every value we sent appears among the values a client decoded, whatever it
 * calls the fields. The samples give every field a distinct value, so a field the client read
 * from the wrong place, or not at all, shows up as missing.
 */
export function assertValuesDecoded(theirs: unknown, ours: unknown, label: string, exclude: readonly string[] = []): number {
  const available = new Map<string, number>();
  for (const leaf of leavesOf(theirs, '', [], new Set())) available.set(leaf.text, (available.get(leaf.text) ?? 0) + 1);
  const expected = leavesOf(ours, '', [], new Set(exclude));
  for (const leaf of expected) {
    const count = available.get(leaf.text) ?? 0;
    assert.ok(count > 0, `${label}: our ${leaf.path} = ${leaf.text} is not among the values the client decoded`);
    available.set(leaf.text, count - 1);
  }
  return expected.length;
}

export interface ResponseCheckOptions {
  /** Field names left out of the comparison, e.g. fields a client fills in on its own. */
  exclude?: readonly string[] | ((version: number) => readonly string[]);
  /** Only the versions for which this returns true. */
  only?: (version: number) => boolean;
  /** Adjusts the sample body before encoding, e.g. to put valid record batches in. */
  prepare?: (sample: Record<string, unknown>, version: number) => void;
}

function excluded(options: ResponseCheckOptions, version: number): readonly string[] {
  return typeof options.exclude === 'function' ? options.exclude(version) : options.exclude ?? [];
}

/** Our response for every version kafkajs implements, decoded by kafkajs. */
export async function checkKafkajsResponses(api: ApiDefinition, directory: string, options: ResponseCheckOptions = {}): Promise<void> {
  const versions = kafkajsVersions(directory).filter((version) => version >= api.versions.min && version <= api.versions.max);
  for (const version of versions.filter(options.only ?? (() => true))) {
    const sample = sampleValue(api.response, version, { nulls: false });
    options.prepare?.(sample, version);
    const theirs = await decodeWithKafkajs(directory, api.apiKey as ServedApiKey, version, sample as never);
    const compared = assertValuesDecoded(theirs, sample, `kafkajs ${api.name} v${version}`, excluded(options, version));
    assert.ok(compared > 0, `kafkajs ${api.name} v${version} compared nothing`);
  }
}

/** Our response for every version @platformatic/kafka implements, parsed by it. */
export function checkPlatformaticResponses(api: ApiDefinition, prefix: string, options: ResponseCheckOptions = {}): void {
  const versions = platformaticVersions(prefix, api);
  assert.ok(versions.length > 0, `@platformatic/kafka implements ${api.name}`);
  for (const version of versions.filter(options.only ?? (() => true))) {
    const sample = sampleValue(api.response, version, { nulls: false });
    options.prepare?.(sample, version);
    const theirs = decodeWithPlatformatic(prefix, api.apiKey as ServedApiKey, version, sample as never);
    // Only the fields this version carries: clients fill absent ones with defaults of their own.
    const compared = compareShared(theirs, sample, '', new Set(excluded(options, version)));
    assert.ok(compared > 0, `@platformatic/kafka ${api.name} v${version} compared nothing`);
  }
}
