import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { saslHandshakeApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs and @platformatic/kafka SaslHandshake requests decode', async () => {
  for (const version of kafkajsVersions('saslHandshake')) {
    assert.equal((await decodeKafkajsRequest('saslHandshake', version, { mechanism: 'PLAIN' })).body, { mechanism: 'PLAIN' }, `v${version}`);
  }
  const versions = platformaticVersions('saslHandshake', saslHandshakeApi);
  assert.equal(versions, [0, 1]);
  for (const version of versions) {
    assert.equal(decodePlatformaticRequest('saslHandshake', version, ['SCRAM-SHA-256']).body, { mechanism: 'SCRAM-SHA-256' }, `v${version}`);
  }
});

test('our SaslHandshake responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(saslHandshakeApi, 'saslHandshake');
  checkPlatformaticResponses(saslHandshakeApi, 'saslHandshake');
});

test.run();
