import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { integerOption, offsetOption, pairsOption, parseCommandArgs, requiredName, timestampOption } from '../../../../edge/cli/ops/command-args.ts';

test('numbers are checked with the option\'s name in the message', () => {
  assert.is(integerOption('partitions', '3', 1), 3);
  assert.is(integerOption('partitions', undefined, 1), undefined);
  assert.throws(() => integerOption('partitions', '0', 1), /--partitions must be a whole number of at least 1, not "0"/);
  assert.throws(() => integerOption('partitions', '1.5', 1), /--partitions/);
  assert.is(offsetOption('offset', '18446744073709551615'), 18_446_744_073_709_551_615n);
  assert.throws(() => offsetOption('offset', '-1'), /--offset must be an offset/);
});

test('times are milliseconds or ISO 8601', () => {
  assert.is(timestampOption('from-timestamp', '1700000000000'), 1_700_000_000_000n);
  assert.is(timestampOption('from-timestamp', '2023-11-14T22:13:20Z'), 1_700_000_000_000n);
  assert.throws(() => timestampOption('from-timestamp', 'yesterday'), /ISO 8601/);
});

test('NAME=VALUE pairs keep "=" in the value', () => {
  assert.equal(pairsOption('config', ['a=1', 'b=x=y']), [['a', '1'], ['b', 'x=y']]);
  assert.throws(() => pairsOption('header', ['novalue']), /--header takes NAME=VALUE/);
});

test('a name comes from the option or the first word', () => {
  assert.is(requiredName('topic', undefined, ['sensors']), 'sensors');
  assert.is(requiredName('topic', 'a', ['b']), 'a');
  assert.throws(() => requiredName('group', undefined, []), /a group name is required \(--group NAME\)/);
});

test('parse errors become one-line operating errors', () => {
  const options = { 'shift-by': { type: 'string' } } as const;
  assert.throws(() => parseCommandArgs(['--bogus'], options), (error: Error) => error.message === "Unknown option '--bogus'.");
  assert.throws(() => parseCommandArgs(['--shift-by', '-1'], options), /--shift-by=-XYZ/);
  assert.is(parseCommandArgs(['--shift-by=-1', 'x'], options).values['shift-by'], '-1');
});

test.run();
