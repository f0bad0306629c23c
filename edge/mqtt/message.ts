// An application message as it travels through the broker: from a PUBLISH, a will or a
// log record (reverse routes) to the sessions of its subscribers, the retained store
// and the session store.
import type { QoS } from './packets/inbound.ts';
import type { Properties } from './packets/properties.ts';

/** The properties a PUBLISH carries on to subscribers unchanged [MQTT-3.3.2-4] [MQTT-3.3.2-17] [MQTT-3.3.2-20]. */
export interface MessageProperties {
  payloadFormatIndicator?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Array<[string, string]>;
}

export interface Message {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: MessageProperties;
  /** When the Message Expiry Interval runs out, in milliseconds since the epoch. */
  expiresAtMs?: number;
  /** The client that published it, for No Local; undefined for records from the log. */
  publisherId?: string;
  /** The topic's UTF-8 bytes, once a PUBLISH carrying it has been written (shared by every subscriber's copy). */
  topicBytes?: Buffer;
}

const FORWARDED: Array<keyof MessageProperties> = ['payloadFormatIndicator', 'contentType', 'responseTopic', 'correlationData', 'userProperties'];

/** The forwarded part of a PUBLISH's (or a will's) properties; undefined when none. */
export function forwardedProperties(properties: Properties | undefined): MessageProperties | undefined {
  if (properties === undefined) return undefined;
  let forwarded: MessageProperties | undefined;
  for (const name of FORWARDED) {
    const value = properties[name];
    if (value !== undefined) (forwarded ??= {} as Record<string, unknown>)[name] = value;
  }
  return forwarded;
}

/** When a message with this Message Expiry Interval, received now, expires. */
export function expiryFrom(intervalSeconds: number | undefined, nowMs: number): number | undefined {
  return intervalSeconds === undefined ? undefined : nowMs + intervalSeconds * 1000;
}

/**
 * The interval left to forward [MQTT-3.3.2-6]: whole seconds, rounded up so that a
 * message about to expire is not sent with 0 (which would read as "expires now").
 */
export function remainingExpirySeconds(message: Message, nowMs: number): number | undefined {
  if (message.expiresAtMs === undefined) return undefined;
  return Math.max(1, Math.ceil((message.expiresAtMs - nowMs) / 1000));
}

export function isExpired(message: Message, nowMs: number): boolean {
  return message.expiresAtMs !== undefined && message.expiresAtMs <= nowMs;
}
