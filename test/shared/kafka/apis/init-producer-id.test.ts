import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initProducerIdApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

test('kafkajs InitProducerId requests decode', async () => {
  for (const version of kafkajsVersions('initProducerId')) {
    const request = await decodeKafkajsRequest('initProducerId', version, { transactionalId: 'tx-1', transactionTimeout: 30000 });
    assert.equal(request.body, expectedValue(initProducerIdApi.request, { transactionalId: 'tx-1', transactionTimeoutMs: 30000 }, version), `v${version}`);
  }
});

test('@platformatic/kafka InitProducerId requests decode, idempotent (null id) and with a known producer', () => {
  const versions = platformaticVersions('initProducerId', initProducerIdApi);
  assert.equal(versions, [0, 1, 2, 3, 4, 5]);
  for (const version of versions) {
    const idempotent = decodePlatformaticRequest('initProducerId', version, [null, 60000]);
    assert.equal(idempotent.body, expectedValue(initProducerIdApi.request, { transactionalId: null, transactionTimeoutMs: 60000 }, version), `v${version}`);
    const known = decodePlatformaticRequest('initProducerId', version, ['tx-1', 60000, 1234n, 5]);
    assert.equal(known.body, expectedValue(initProducerIdApi.request, { transactionalId: 'tx-1', transactionTimeoutMs: 60000, producerId: 1234n, producerEpoch: 5 }, version), `v${version}`);
  }
});

test('our InitProducerId responses read back in kafkajs and @platformatic/kafka', async () => {
  await checkKafkajsResponses(initProducerIdApi, 'initProducerId');
  checkPlatformaticResponses(initProducerIdApi, 'initProducerId');
});

test.run();
