// DescribeClientQuotas against the daemon: no quotas are enforced, so every valid filter
// matches none, in both versions; the filters Kafka 4.4 refuses are refused with its error
// and message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../../helpers/daemon.ts';
import { RawKafkaConnection } from './support/raw-kafka.ts';

const INVALID_REQUEST = 42;
const UNSUPPORTED_VERSION = 35;

test('valid filters match no quota; empty, repeated and unknown entity types, bad match strings and ip with user are refused', async () => {
  const daemon = await Daemon.start();
  const connection = await RawKafkaConnection.connect(daemon.ports.kafka!);
  try {
    for (const version of [0, 1]) {
      const all = await connection.request(48, version, { components: [{ entityType: 'user', matchType: 2, match: null }], strict: false });
      assert.equal([all.errorCode, all.errorMessage, all.entries], [0, null, []], `v${version}`);
    }
    const cases: Array<[Array<{ entityType: string; matchType: number; match: string | null }>, number, string]> = [
      [[{ entityType: '', matchType: 2, match: null }], INVALID_REQUEST, 'Invalid empty entity type.'],
      [[{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 1, match: null }], INVALID_REQUEST, 'Entity type user cannot appear more than once in the filter.'],
      [[{ entityType: 'group', matchType: 2, match: null }], UNSUPPORTED_VERSION, 'Unsupported entity type group'],
      [[{ entityType: 'user', matchType: 0, match: null }], INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.'],
      [[{ entityType: 'user', matchType: 1, match: 'carol' }], INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.'],
      [[{ entityType: 'user', matchType: 2, match: 'carol' }], INVALID_REQUEST, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.'],
      [[{ entityType: 'user', matchType: 7, match: null }], INVALID_REQUEST, 'Unknown match type 7'],
      [[{ entityType: 'ip', matchType: 2, match: null }, { entityType: 'user', matchType: 0, match: 'carol' }], INVALID_REQUEST, 'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.'],
    ];
    for (const [components, errorCode, errorMessage] of cases) {
      const response = await connection.request(48, 1, { components, strict: true });
      assert.equal([response.errorCode, response.errorMessage, response.entries], [errorCode, errorMessage, null], JSON.stringify(components));
    }
  } finally {
    connection.socket.destroy();
    await daemon.cleanup();
  }
});

test.run();
