import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, TributaryError, isTributaryError, type ErrorCode } from '../../shared/errors.ts';
import { KafkaProtocolError } from '../../shared/kafka/protocol/errors.ts';
import { ERROR_CLASSES, errorReference } from '../../scripts/error-reference.ts';
import { PROJECT_ROOT, sourceFiles } from '../helpers/source-imports.ts';

const CODES = Object.keys(ErrorCodes) as ErrorCode[];
/** Where operating errors are raised and handled: every folder of product code. */
const SOURCE_FOLDERS = ['bin', 'cloud', 'edge', 'firmware-sim', 'mirror', 'shared'];

function sources(): Array<{ file: string; text: string }> {
  return SOURCE_FOLDERS.flatMap((folder) => sourceFiles(folder))
    .filter((file) => file !== 'shared/errors.ts')
    .map((file) => ({ file, text: readFileSync(join(PROJECT_ROOT, file), 'utf8') }));
}

test('every error code has a description', () => {
  for (const [code, description] of Object.entries(ErrorCodes)) {
    assert.ok(description.length > 10, `${code} needs a description`);
  }
});

test('TributaryError carries its code and details', () => {
  const error = new TributaryError('TOPIC_NOT_FOUND', 'topic "x" does not exist', { topic: 'x' });
  assert.ok(isTributaryError(error, 'TOPIC_NOT_FOUND'));
  assert.not.ok(isTributaryError(error, 'TOPIC_EXISTS'));
  assert.is(error.details.topic, 'x');
});

test('README.md documents every code of the catalogue, with its class and meaning (regenerate: npm run docs)', () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const reference = errorReference();
  assert.ok(readme.includes(reference), 'README.md holds the current error reference');
  for (const code of CODES) assert.ok(reference.includes(`| \`${code}\` |`), code);
});

test('the error classes the sources define are the ones documented, each carrying codes of the catalogue', () => {
  const defined = sources().flatMap(({ text }) => [...text.matchAll(/\bclass (\w+) extends TributaryError\b/g)].map((match) => match[1]!)).sort();
  assert.equal(defined, ERROR_CLASSES.map((errorClass) => errorClass.name).sort());
  const carried = ERROR_CLASSES.flatMap((errorClass) => errorClass.codes);
  assert.equal(carried.filter((code) => !CODES.includes(code)), [], 'codes outside the catalogue');
  assert.is(new Set(carried).size, carried.length, 'no code is carried by two classes');
  const protocolError = new KafkaProtocolError('KAFKA_API_UNSUPPORTED', 'x', { apiKey: 99, apiVersion: 0, direction: 'request', field: '', byteOffset: null, correlationId: 1 });
  assert.ok(protocolError instanceof TributaryError && ErrorCodes[protocolError.code] !== undefined);
});

test('every code of the catalogue is raised or handled somewhere in the sources', () => {
  const texts = sources().map(({ text }) => text);
  const unused = CODES.filter((code) => !texts.some((text) => text.includes(`'${code}'`) || new RegExp(`\\b${code}:`).test(text)));
  assert.equal(unused, []);
});

test.run();
