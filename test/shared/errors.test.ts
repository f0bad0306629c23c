import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCodes, TributaryError, isTributaryError } from '../../shared/errors.ts';

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

test.run();
