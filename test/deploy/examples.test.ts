// The example configurations load with the daemon's own loader (every key known, every
// value valid) and say what their comments promise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { loadConfigFile } from '../../shared/config/load.ts';

const DEPLOY = resolve(import.meta.dirname, '../../deploy');

test('examples/edge.yaml: a device with MQTT routes, declared topics, a mirror and commands back', () => {
  const config = loadConfigFile(resolve(DEPLOY, 'examples/edge.yaml'));
  assert.is(config.node.id, 'greenhouse-01');
  assert.is(config.node.dataDir, '/var/lib/tributary', 'the one path the systemd unit lets the service write');
  assert.is(config.listeners.http.host, '127.0.0.1', 'the admin port has no authentication');
  assert.equal(config.mqtt.routes[0], { filter: 'sensors/+/+', topic: 'sensors', key: '{1}' });
  assert.is(config.topics.overrides.sensors?.partitions, 6);
  assert.equal(config.mirror.target.bootstrap, ['central.example.net:9092']);
  assert.is(config.mirror.topics.template, '{edge}.{topic}');
  assert.equal(config.mirror.reverse, [{ from: 'commands.{edge}', to: 'commands' }]);
  assert.equal(config.mqtt.reverseRoutes.map((route) => route.topic), ['commands'], 'commands pulled down reach the devices');
  assert.ok(config.topics.overrides.commands, 'the reverse topic is declared');
  for (const included of config.mirror.topics.include) assert.ok(config.topics.overrides[included], `mirrored topic ${included} is declared`);
});

test('examples/central.yaml: a single-node central that edges can reach', () => {
  const config = loadConfigFile(resolve(DEPLOY, 'examples/central.yaml'));
  assert.is(config.node.id, 'central');
  assert.is(config.listeners.kafka.host, '0.0.0.0');
  assert.is(config.kafka.autoCreateTopics, true, 'mirrors create their target topics');
  assert.is(config.mirror.target.bootstrap.length, 0, 'a central mirrors nowhere');
  // The edge example points at the name the central advertises.
  const edge = loadConfigFile(resolve(DEPLOY, 'examples/edge.yaml'));
  assert.is(edge.mirror.target.bootstrap[0], `${config.kafka.advertisedHost}:${config.listeners.kafka.port}`);
});

test('container/edge.yaml: every listener inside the container, data on the volume', () => {
  const config = loadConfigFile(resolve(DEPLOY, 'container/edge.yaml'));
  assert.is(config.node.dataDir, '/var/lib/tributary');
  for (const listener of [config.listeners.kafka, config.listeners.mqtt, config.listeners.mqttWs, config.listeners.http]) assert.is(listener.host, '0.0.0.0');
});

test.run();
