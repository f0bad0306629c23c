import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { saslAuthenticateApi } from '../../../../shared/kafka/apis/index.ts';
import { ApiKey } from '../../../../shared/kafka/wire/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, decodeWithKafkajs, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

const token = Buffer.from('\u0000user\u0000secret');

test('kafkajs and @platformatic/kafka SaslAuthenticate requests decode', async () => {
  // kafkajs's SASL mechanisms hand the request their bytes already length-prefixed.
  const prefixed = Buffer.concat([Buffer.from([0, 0, 0, token.length]), token]);
  for (const version of kafkajsVersions('saslAuthenticate')) {
    assert.equal((await decodeKafkajsRequest('saslAuthenticate', version, { authBytes: prefixed })).body, { authBytes: token }, `v${version}`);
  }
  const versions = platformaticVersions('saslAuthenticate', saslAuthenticateApi);
  assert.equal(versions, [0, 1, 2]);
  for (const version of versions) {
    assert.equal(decodePlatformaticRequest('saslAuthenticate', version, [token]).body, { authBytes: token }, `v${version}`);
  }
});

test('our SaslAuthenticate responses read back in kafkajs and @platformatic/kafka', async () => {
  // kafkajs hands the mechanism the server's bytes length-prefixed again.
  await checkKafkajsResponses(saslAuthenticateApi, 'saslAuthenticate', { exclude: ['authBytes'] });
  for (const version of kafkajsVersions('saslAuthenticate')) {
    const theirs = await decodeWithKafkajs('saslAuthenticate', ApiKey.SaslAuthenticate, version, { errorCode: 0, errorMessage: null, authBytes: token, sessionLifetimeMs: 5000n });
    assert.is(theirs.authBytes.toString('hex'), Buffer.concat([Buffer.from([0, 0, 0, token.length]), token]).toString('hex'), `v${version}`);
  }
  checkPlatformaticResponses(saslAuthenticateApi, 'saslAuthenticate');
});

test.run();
