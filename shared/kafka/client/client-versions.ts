// The version of each API the client sends, and the check that a broker serves it (from the
// broker's ApiVersions answer, KIP-35). One version per API keeps one request shape per API:
// every one here is served by Apache Kafka 2.4 and later (Kafka 4 removed only older ones,
// KIP-896) and by Tributary's edge, and all but SaslHandshake are flexible (KIP-482).
import { TributaryError } from '../../errors.ts';
import { ApiKey, apiName } from '../protocol/api-keys.ts';
import { formatAddress, type BrokerConnection } from './broker-connection.ts';

export const CLIENT_API_VERSIONS = {
  [ApiKey.Produce]: 9,
  [ApiKey.Fetch]: 12,
  [ApiKey.ListOffsets]: 7,
  [ApiKey.Metadata]: 12,
  [ApiKey.OffsetCommit]: 8,
  [ApiKey.OffsetFetch]: 7,
  [ApiKey.FindCoordinator]: 3,
  [ApiKey.SaslHandshake]: 1,
  [ApiKey.ApiVersions]: 3,
  [ApiKey.CreateTopics]: 7,
  [ApiKey.InitProducerId]: 4,
  [ApiKey.SaslAuthenticate]: 2,
  [ApiKey.CreatePartitions]: 3,
} as const;

export type ClientApiKey = keyof typeof CLIENT_API_VERSIONS;

/** The version to send on `connection`; throws when its broker does not serve it, naming what it serves. */
export function versionFor(connection: BrokerConnection, apiKey: ClientApiKey): number {
  const version = CLIENT_API_VERSIONS[apiKey];
  const served = connection.servedVersions.get(apiKey);
  if (served === undefined || version < served.minVersion || version > served.maxVersion) {
    const range = served === undefined ? 'does not serve it' : `serves v${served.minVersion}-${served.maxVersion}`;
    throw new TributaryError('BROKER_REQUEST_FAILED', `broker ${formatAddress(connection.address)}: ${apiName(apiKey)} v${version} is needed (Kafka 2.4 or later) and the broker ${range}`, { apiKey, version });
  }
  return version;
}
