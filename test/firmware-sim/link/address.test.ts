import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatHostPort, parseHostPort } from '../../../firmware-sim/link/address.ts';

test('parses host and port, IPv6 in brackets, and a bare port', () => {
  assert.equal(parseHostPort('127.0.0.1:9092', '--target'), { host: '127.0.0.1', port: 9092 });
  assert.equal(parseHostPort('kafka.example:0', '--target'), { host: 'kafka.example', port: 0 });
  assert.equal(parseHostPort('[::1]:1883', '--listen'), { host: '::1', port: 1883 });
  assert.equal(parseHostPort(':8080', '--listen'), { host: '0.0.0.0', port: 8080 });
  assert.is(formatHostPort({ host: '::1', port: 1883 }), '[::1]:1883');
  assert.is(formatHostPort({ host: '127.0.0.1', port: 1 }), '127.0.0.1:1');
});

test('names the option and the value when an address is wrong', () => {
  assert.throws(() => parseHostPort('localhost', '--listen'), /--listen: "localhost" is not HOST:PORT/);
  assert.throws(() => parseHostPort('localhost:70000', '--target'), /--target: port 70000 is outside/);
});

test.run();
