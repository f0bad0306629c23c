// DescribeAcls, CreateAcls and DeleteAcls against two clients' own encoders and decoders:
// kafkajs (v1, the oldest Kafka 4 serves) and @platformatic/kafka (v1-3, flexible from v2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAclsApi, deleteAclsApi, describeAclsApi } from '../../../../shared/kafka/apis/index.ts';
import { checkKafkajsResponses, checkPlatformaticResponses, decodeKafkajsRequest, decodePlatformaticRequest, kafkajsVersions, platformaticVersions } from './clients.ts';
import { expectedValue } from './samples.ts';

const creation = { resourceType: 2, resourceName: 'readings', resourcePatternType: 4, principal: 'User:alice', host: '*', operation: 4, permissionType: 3 };
const filter = { resourceType: 2, resourceName: 'readings', resourcePatternType: 3, principal: 'User:alice', host: null, operation: 1, permissionType: 1 };
const wireFilter = { resourceTypeFilter: 2, resourceNameFilter: 'readings', patternTypeFilter: 3, principalFilter: 'User:alice', hostFilter: null, operation: 1, permissionType: 1 };

test('kafkajs ACL requests decode (the versions this broker serves)', async () => {
  for (const version of kafkajsVersions('createAcls').filter((version) => version >= 1)) {
    const request = await decodeKafkajsRequest('createAcls', version, { creations: [creation] });
    assert.equal(request.body, expectedValue(createAclsApi.request, { creations: [creation] }, version), `CreateAcls v${version}`);
  }
  for (const version of kafkajsVersions('describeAcls').filter((version) => version >= 1)) {
    const request = await decodeKafkajsRequest('describeAcls', version, filter);
    assert.equal(request.body, expectedValue(describeAclsApi.request, wireFilter, version), `DescribeAcls v${version}`);
  }
  for (const version of kafkajsVersions('deleteAcls').filter((version) => version >= 1)) {
    const request = await decodeKafkajsRequest('deleteAcls', version, { filters: [filter] });
    assert.equal(request.body, expectedValue(deleteAclsApi.request, { filters: [wireFilter] }, version), `DeleteAcls v${version}`);
  }
});

test('@platformatic/kafka ACL requests decode, flexible versions included', () => {
  for (const version of platformaticVersions('createAcls', createAclsApi)) {
    const request = decodePlatformaticRequest('createAcls', version, [[creation]]);
    assert.equal(request.body, expectedValue(createAclsApi.request, { creations: [creation] }, version), `CreateAcls v${version}`);
  }
  assert.equal(platformaticVersions('describeAcls', describeAclsApi), [1, 2, 3]);
  for (const version of platformaticVersions('describeAcls', describeAclsApi)) {
    const request = decodePlatformaticRequest('describeAcls', version, [filter]);
    assert.equal(request.body, expectedValue(describeAclsApi.request, wireFilter, version), `DescribeAcls v${version}`);
  }
  for (const version of platformaticVersions('deleteAcls', deleteAclsApi)) {
    const request = decodePlatformaticRequest('deleteAcls', version, [[filter]]);
    assert.equal(request.body, expectedValue(deleteAclsApi.request, { filters: [wireFilter] }, version), `DeleteAcls v${version}`);
  }
});

test('our ACL responses read back in kafkajs and @platformatic/kafka', async () => {
  for (const [api, name] of [[createAclsApi, 'createAcls'], [describeAclsApi, 'describeAcls'], [deleteAclsApi, 'deleteAcls']] as const) {
    await checkKafkajsResponses(api, name);
    checkPlatformaticResponses(api, name);
  }
});

test.run();
