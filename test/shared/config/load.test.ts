import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultConfig, parseConfig } from '../../../shared/config/load.ts';
import { configJsonSchema } from '../../../shared/config/json-schema.ts';
import { isTributaryError } from '../../../shared/errors.ts';
import { configReference } from '../../../shared/config/reference.ts';
import { resolveTopicConfig } from '../../../shared/config/topic-settings.ts';

function errorOf(text: string): string {
  try {
    parseConfig(text, 'edge.yaml');
  } catch (error) {
    assert.ok(isTributaryError(error, 'CONFIG_INVALID'), `expected CONFIG_INVALID, got ${error}`);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

test('built-in defaults match the documented ones', () => {
  const config = defaultConfig();
  assert.is(config.node.dataDir, './data');
  assert.equal(config.listeners.kafka, { host: '127.0.0.1', port: 9092 });
  assert.is(config.listeners.mqtt.port, 1883);
  assert.equal(config.listeners.http, { host: '127.0.0.1', port: 8080 });
  assert.is(config.topics.defaults.flush.policy, 'always');
  assert.ok(config.node.id.length > 0, 'an empty node id becomes the hostname');
});

test('the stable keys parse as written', () => {
  const config = parseConfig([
    'node:',
    '  id: edge-01',
    '  dataDir: /var/lib/tributary',
    'listeners:',
    '  kafka: { host: 127.0.0.1, port: 9092 }',
    '  mqtt:  { host: 0.0.0.0, port: 1883 }',
    '  http:  { host: 127.0.0.1, port: 0 }',
    'topics:',
    '  defaults: { partitions: 3, flush: { policy: interval, intervalMs: 50 } }',
    '  overrides:',
    '    sensors: { partitions: 6, retentionMs: 3600000 }',
  ].join('\n'), 'edge.yaml');
  assert.is(config.node.id, 'edge-01');
  assert.is(config.listeners.http.port, 0);
  assert.is(config.topics.defaults.partitions, 3);
  assert.equal(config.topics.defaults.flush, { policy: 'interval', intervalMs: 50 });
  assert.is(config.topics.defaults.segmentBytes, 64 * 1024 * 1024, 'unset keys keep their defaults');
  assert.equal(config.topics.overrides.sensors, { partitions: 6, retentionMs: 3600000 });
});

test('an unknown key is refused with file, line, key and the allowed keys', () => {
  const message = errorOf('node:\n  id: a\nlisteners:\n  kafka:\n    prot: 9092\n');
  assert.is(message, 'edge.yaml:5: listeners.kafka.prot: unknown key (allowed: host, port)');
});

test('an alias before its anchor is refused with its line (found by fuzzing: a bare ReferenceError before)', () => {
  assert.is(errorOf('node:\n  id: *x\nlog: &x\n  level: info\n'), 'edge.yaml:2: Unresolved alias (the anchor must be set before the alias): x');
});

test('aliases that would expand without bound are refused, not expanded', () => {
  const rows = ['a: &a [1,1,1,1,1,1,1,1,1,1]'];
  for (const [index, name] of [...'bcdefg'].entries()) rows.push(`${name}: &${name} [${Array(10).fill(`*${'abcdefg'[index]}`).join(',')}]`);
  assert.match(errorOf(rows.join('\n')), /^edge\.yaml:\d+: Excessive alias count indicates a resource exhaustion attack$/);
});

test('an unknown top-level key is refused', () => {
  assert.match(errorOf('nodes:\n  id: a\n'), /^edge\.yaml:1: nodes: unknown key \(allowed: node, listeners/);
});

test('a wrong type names the line, the key and the value', () => {
  assert.is(errorOf('listeners:\n  kafka: { host: x, port: "abc" }\n'), 'edge.yaml:2: listeners.kafka.port: must be integer, got "abc"');
});

test('an out-of-range value and a wrong enum value are both reported', () => {
  const message = errorOf('topics:\n  overrides:\n    sensors:\n      partitions: 0\n      flush: { policy: sometimes }\n');
  assert.match(message, 'edge.yaml:4: topics.overrides.sensors.partitions: must be >= 1, got 0');
  assert.match(message, 'edge.yaml:5: topics.overrides.sensors.flush.policy: must be one of "always", "interval", "os", got "sometimes"');
});

test('a port above 65535 is refused', () => {
  assert.match(errorOf('listeners:\n  mqtt:\n    port: 70000\n'), 'edge.yaml:3: listeners.mqtt.port: must be <= 65535');
});

test('a union names its alternatives', () => {
  assert.match(errorOf('mqtt:\n  defaultRoute: rejectt\n'), 'edge.yaml:2: mqtt.defaultRoute: must be a mapping of topic, key or "reject", got "rejectt"');
});

test('YAML syntax errors name the line', () => {
  assert.match(errorOf('node:\n  id: [a\n'), /^edge\.yaml:\d+: /);
});

test('a mapping or a sequence used as a key is refused with its line, column and key path, not stringified', () => {
  assert.is(errorOf('? {a: 1} : x\n'), 'edge.yaml:1:3: (top level): a key must be a plain name, got a mapping {a: 1} : x');
  assert.is(errorOf('node:\n  [a]: 1\n'), 'edge.yaml:2:3: node: a key must be a plain name, got a sequence [a]');
  assert.is(
    errorOf('topics:\n  overrides:\n    - ? name: a\n        flush: b\n      : v\n'),
    'edge.yaml:3:9: topics.overrides.0: a key must be a plain name, got a mapping name: a flush: b',
  );
  assert.is(errorOf('keys: &k [x]\nnode:\n  ? *k\n  : 1\n'), 'edge.yaml:3:5: node: a key must be a plain name, got a sequence *k');
});

test('what yaml only warns about (an unknown directive, an unresolved tag) is refused, and nothing reaches stderr as a Node warning', () => {
  const warnings: string[] = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error) => void warnings.push(String(warning))) as typeof process.emitWarning;
  try {
    assert.is(errorOf('%FOO bar\n---\nnode: {}\n'), 'edge.yaml:1:1: Unknown directive %FOO');
    assert.is(errorOf('node:\n  id: !edge x\n'), 'edge.yaml:2:7: Unresolved tag: !edge');
    errorOf('node:\n  ? [dataDir]\n  : x\n');
  } finally {
    process.emitWarning = emitWarning;
  }
  assert.equal(warnings, []);
});

test('a document that is not a mapping is refused', () => {
  assert.match(errorOf('- a\n- b\n'), /edge\.yaml:1: /);
});

test('the published JSON Schema is current (regenerate: npm run schema)', () => {
  const published = readFileSync(resolve(import.meta.dirname, '../../../deploy/tributary.schema.json'), 'utf8');
  assert.is(published, configJsonSchema());
});

test('every key in the schema has a description and every leaf a default', () => {
  const missing: string[] = [];
  function walk(schema: Record<string, unknown>, path: string): void {
    const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
    if (!properties) return;
    for (const [key, child] of Object.entries(properties)) {
      const childPath = path ? `${path}.${key}` : key;
      if (typeof child.description !== 'string') missing.push(`${childPath}: description`);
      if (child.default === undefined && path.split('.').length < 6 && !childPath.includes('overrides')) missing.push(`${childPath}: default`);
      walk(child, childPath);
    }
  }
  walk(JSON.parse(configJsonSchema()), '');
  assert.equal(missing, []);
});

test('an override inherits the flush policy it does not name', () => {
  const config = parseConfig('topics:\n  defaults: { flush: { policy: interval } }\n  overrides:\n    a: { flush: { intervalMs: 5 } }\n', 'edge.yaml');
  assert.equal(config.topics.overrides.a, { flush: { intervalMs: 5 } });
  assert.equal(resolveTopicConfig(config.topics.defaults, config.topics.overrides.a).flush, { policy: 'interval', intervalMs: 5 });
});

test('the README reference lists every key (regenerate: npm run docs)', () => {
  const readme = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');
  assert.ok(readme.includes(configReference()), 'README.md holds the current configuration reference');
});

test.run();
