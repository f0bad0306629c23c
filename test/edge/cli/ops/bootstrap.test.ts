import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTributaryError } from '../../../../shared/errors.ts';
import { DEFAULT_BOOTSTRAP, parseBootstrap } from '../../../../edge/cli/ops/bootstrap.ts';

test('the default is the edge daemon\'s default Kafka listener', () => {
  assert.equal(parseBootstrap(DEFAULT_BOOTSTRAP), ['127.0.0.1:9092']);
});

test('a comma-separated list is split and trimmed; IPv6 literals go in brackets', () => {
  assert.equal(parseBootstrap('a.example:9092, b.example:9093,[::1]:9094'), ['a.example:9092', 'b.example:9093', '[::1]:9094']);
});

test('an address without a valid port is refused with the address in the message', () => {
  for (const bad of ['localhost', 'localhost:0', 'localhost:70000', ':9092', 'host:port', '']) {
    try {
      parseBootstrap(bad);
      assert.unreachable(`"${bad}" was accepted`);
    } catch (error) {
      assert.ok(isTributaryError(error, 'CLI_OPTION_INVALID'), `"${bad}": ${String(error)}`);
      assert.match((error as Error).message, '--bootstrap');
    }
  }
});

test('more than 16 addresses are refused', () => {
  const many = Array.from({ length: 17 }, (_, index) => `h${index}:9092`).join(',');
  assert.throws(() => parseBootstrap(many), /at most 16/);
});

test.run();
