import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiKey, ZERO_UUID } from '../../../../shared/kafka/wire/index.ts';
import { apiVersionsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';

test('kafkajs ApiVersions requests decode', async () => {
  assert.equal(kafkajsVersions('apiVersions'), [0, 1, 2]);
  for (const version of kafkajsVersions('apiVersions')) {
    const request = await decodeKafkajsRequest('apiVersions', version, {});
    assert.is(request.apiKey, ApiKey.ApiVersions);
    assert.equal(request.body, { clientSoftwareName: '', clientSoftwareVersion: '' }, `v${version}`);
  }
});

test('@platformatic/kafka ApiVersions requests decode, with client software from v3', () => {
  for (const version of platformaticVersions('apiVersions', apiVersionsApi)) {
    const request = decodePlatformaticRequest('apiVersions', version, ['tributary-test', '1.2.3']);
    const expected = version >= 3 ? { clientSoftwareName: 'tributary-test', clientSoftwareVersion: '1.2.3' } : { clientSoftwareName: '', clientSoftwareVersion: '' };
    assert.equal(request.body, expected, `v${version}`);
  }
});

test('our ApiVersions responses read back in kafkajs and @platformatic/kafka', async () => {
  // Clients stop reading at a non-zero top-level error (it may come in the v0 layout, KIP-511).
  const prepare = (sample: Record<string, unknown>) => { sample.errorCode = 0; };
  await checkKafkajsResponses(apiVersionsApi, 'apiVersions', { prepare });
  checkPlatformaticResponses(apiVersionsApi, 'apiVersions', { prepare });
});

test.run();
