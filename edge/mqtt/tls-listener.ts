// The MQTT-over-TLS listener's settings: the certificate files of listeners.mqtts, read
// and checked at start so that a missing or unreadable file stops the daemon with the key
// and the path, rather than failing each device's handshake later.
import { readFileSync } from 'node:fs';
import { createSecureContext, type TlsOptions } from 'node:tls';
import type { MqttTlsListenerConfig } from '../../shared/config/schema.ts';
import { TributaryError } from '../../shared/errors.ts';

export interface MqttTlsListen {
  host: string;
  port: number;
  tls: TlsOptions;
}

function readPem(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new TributaryError('CONFIG_INVALID', `listeners.mqtts.${key}: cannot read ${path}: ${(error as Error).message}`, { key: `listeners.mqtts.${key}`, path }, { cause: error });
  }
}

/** The TLS listener to start, or null when listeners.mqtts is not enabled. */
export function mqttTlsListen(config: MqttTlsListenerConfig): MqttTlsListen | null {
  if (!config.enabled) return null;
  for (const key of ['certFile', 'keyFile'] as const) {
    if (config[key] === '') throw new TributaryError('CONFIG_INVALID', `listeners.mqtts.${key}: required when listeners.mqtts.enabled is true`, { key: `listeners.mqtts.${key}` });
  }
  if (config.requireClientCertificate && config.caFile === '') {
    throw new TributaryError('CONFIG_INVALID', 'listeners.mqtts.caFile: required with requireClientCertificate, to verify the devices\' certificates', { key: 'listeners.mqtts.caFile' });
  }
  const tls: TlsOptions = {
    cert: readPem('certFile', config.certFile),
    key: readPem('keyFile', config.keyFile),
    ...(config.caFile === '' ? {} : { ca: readPem('caFile', config.caFile) }),
    requestCert: config.requireClientCertificate,
    rejectUnauthorized: config.requireClientCertificate,
  };
  try {
    // Fails now on a key that does not match its certificate, or PEM that is not one.
    createSecureContext(tls);
  } catch (error) {
    throw new TributaryError('CONFIG_INVALID', `listeners.mqtts: the certificate files cannot be used (${config.certFile}, ${config.keyFile}): ${(error as Error).message}`, { key: 'listeners.mqtts' }, { cause: error });
  }
  return { host: config.host, port: config.port, tls };
}
