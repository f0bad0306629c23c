// Every API and version that ApiVersions advertises is answered: a request of each, filled
// with distinctive values by the round-trip sample builder, gets a response that decodes,
// on a connection that stays open. An API advertised but not served would close it, and
// clients change what they do by what is advertised.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SUPPORTED_APIS, apiDefinition, type ServedApiKey } from '../../../../shared/kafka/wire/index.ts';
import { Daemon } from '../../../helpers/daemon.ts';
import { sampleValue } from '../../../shared/kafka/apis/samples.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';
import { assertNoServerErrors } from './support/server-log.ts';

/** Sample fields that would make a request wait instead of answering at once. */
const AT_ONCE: Partial<Record<number, Record<string, unknown>>> = {
  1: { maxWaitMs: 0 },
};

test('a request of every advertised API and version is answered, and the connection stays open', async () => {
  const daemon = await Daemon.start();
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    let answered = 0;
    for (const { apiKey, minVersion, maxVersion } of SUPPORTED_APIS) {
      const api = apiDefinition(apiKey)!;
      for (let version = minVersion; version <= maxVersion; version++) {
        const body = { ...sampleValue(api.request, version, { nulls: false }), ...AT_ONCE[apiKey] };
        await connection.request(apiKey as ServedApiKey, version, body as never).catch((error: unknown) => {
          assert.unreachable(`${api.name} v${version}: ${(error as Error).message}`);
        });
        answered++;
      }
    }
    assert.is(answered, SUPPORTED_APIS.reduce((count, api) => count + api.maxVersion - api.minVersion + 1, 0), 'every advertised version');
    assert.not.ok(connection.isClosed);
    assertNoServerErrors(daemon);
  } finally {
    await connection.close();
    await daemon.cleanup();
  }
});

test.run();
