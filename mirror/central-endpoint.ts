// The central cluster as the YAML describes it (mirror.target): bootstrap brokers, address
// map, TLS, SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; the password from the file or from
// passwordFile), timeouts and the replication factor of the topics the mirror creates.
import { readFileSync } from 'node:fs';
import type { MirrorConfig } from '../shared/config/mirror-schema.ts';
import { TributaryError } from '../shared/errors.ts';
import { KafkaEndpoint } from './endpoint.ts';
import { tlsOptionsFromConfig, type SaslOptions } from '../shared/kafka/client/kafka-client.ts';

/** The central cluster as configured: TLS, SASL, address map, with {edge} filled in. */
export function centralEndpoint(config: MirrorConfig, edgeId: string, suffix = ''): KafkaEndpoint {
  const target = config.target;
  return new KafkaEndpoint({
    name: `central ${target.bootstrap.join(',')}`,
    errorCode: 'MIRROR_TARGET_FAILED',
    bootstrap: target.bootstrap,
    clientId: `${(target.clientId || 'tributary-mirror-{edge}').replaceAll('{edge}', edgeId)}${suffix}`,
    addressMap: target.addressMap,
    tls: tlsOptionsFromConfig(target.tls, 'mirror.target.tls'),
    sasl: saslOptions(config, edgeId),
    connectTimeoutMs: target.connectTimeoutMs,
    requestTimeoutMs: target.requestTimeoutMs,
    replicationFactor: target.replicationFactor,
  });
}

function saslOptions(config: MirrorConfig, edgeId: string): SaslOptions | undefined {
  const sasl = config.target.sasl;
  if (sasl.mechanism === 'none') return undefined;
  let password = sasl.password;
  if (sasl.passwordFile !== '') {
    try {
      password = readFileSync(sasl.passwordFile, 'utf8').split('\n')[0]!.trim();
    } catch (error) {
      throw new TributaryError('CONFIG_INVALID', `mirror.target.sasl.passwordFile: cannot read ${sasl.passwordFile}: ${(error as Error).message}`, { key: 'mirror.target.sasl.passwordFile' }, { cause: error });
    }
  }
  return { mechanism: sasl.mechanism, username: sasl.username.replaceAll('{edge}', edgeId), password };
}

