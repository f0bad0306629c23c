// The HiveMQ MQTT Client (Java, Maven Central) in MQTT 5 mode against the real daemon:
// CONNACK restrictions, QoS 1 publishes with properties acknowledged, and the messages
// received with every forwarded property, User Properties in order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Daemon } from '../../helpers/daemon.ts';
import { ClientProcess } from './support/client-process.ts';

const JARS = join(process.env.TRIBUTARY_CACHE_DIR ?? join(homedir(), '.cache', 'tributary'), 'apache-kafka', 'hivemq-mqtt-client', 'lib');
const CLIENT = resolve(import.meta.dirname, 'HiveMqClient.java');
const MESSAGES = 3;

test('HiveMQ MQTT Client 1.3 (MQTT 5): publishes with properties are acknowledged and reach its subscriber with all of them', async () => {
  if (!existsSync(JARS)) throw new Error(`the HiveMQ MQTT Client is not in ${JARS}: run bash scripts/apache-kafka/fetch.sh (.ci/run does)`);
  const daemon = await Daemon.start();
  try {
    const classpath = readdirSync(JARS).filter((name) => name.endsWith('.jar')).map((name) => join(JARS, name)).join(':');
    const client = new ClientProcess('java', ['-cp', classpath, CLIENT, String(daemon.ports.mqtt), String(MESSAGES)]);
    const connected = await client.nextEventOf('connected');
    assert.equal([connected.reasonCode, connected.receiveMaximum, connected.topicAliasMaximum], ['SUCCESS', 64, 32]);
    for (let index = 0; index < MESSAGES; index++) assert.is((await client.nextEventOf('published')).error, false);
    for (let index = 0; index < MESSAGES; index++) {
      const message = await client.nextEventOf('message');
      assert.equal([message.topic, message.payload, message.contentType, message.responseTopic, message.correlationLength], ['hive/reading', `value-${index}`, 'text/plain', 'hive/replies', 2]);
      assert.ok(Number(message.expiry) > 0 && Number(message.expiry) <= 600, `remaining expiry ${message.expiry}`);
      assert.equal(message.userProperties, [`sequence=${index}`, 'source=hivemq']);
    }
    await client.nextEventOf('done');
    await client.succeeded();
  } finally {
    await daemon.cleanup();
  }
});

test.run();
