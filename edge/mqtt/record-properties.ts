// Record headers as MQTT 5 properties, for records a reverse route delivers (a command
// from the cloud): mqtt.contentType, mqtt.payloadFormat, mqtt.responseTopic,
// mqtt.correlationData and mqtt.messageExpiryInterval become those properties, every
// other header a User Property under its own name, in order. So a Kafka application can
// answer a device's request with its Response Topic and Correlation Data. MQTT 3.1.1
// subscribers get the payload only, as before.
import { isUtf8 } from 'node:buffer';
import type { DecodedRecord } from '../../shared/kafka/record-batch.ts';
import type { QoS } from './packets/inbound.ts';
import type { Message, MessageProperties } from './message.ts';
import { MqttHeaders } from './record-encoder.ts';

/** Message Expiry Interval is a four-byte integer of seconds. */
const EXPIRY_SECONDS_MAX = 0xffff_ffff;

function utf8(value: Buffer | null): string | undefined {
  if (value === null) return '';
  return isUtf8(value) && !value.includes(0) ? value.toString('utf8') : undefined;
}

/**
 * The message a reverse route publishes for a record. Its expiry counts from the
 * record's timestamp. Headers that cannot be properties (not UTF-8, a bad number) are
 * left out and counted.
 */
export function messageFromRecord(record: DecodedRecord, topic: string, qos: QoS): { message: Message; skippedHeaders: number } {
  const message: Message = { topic, payload: record.value ?? Buffer.alloc(0), qos, retain: false };
  const properties: MessageProperties = {};
  let skippedHeaders = 0;
  let any = false;
  for (const header of record.headers) {
    const value = header.value;
    switch (header.key) {
      case MqttHeaders.correlationData:
        properties.correlationData = value ?? Buffer.alloc(0);
        any = true;
        continue;
      case MqttHeaders.payloadFormat:
      case MqttHeaders.messageExpiryInterval: {
        const text = utf8(value);
        const number = text === undefined || !/^\d{1,10}$/.test(text) ? NaN : Number(text);
        if (header.key === MqttHeaders.payloadFormat && (number === 0 || number === 1)) {
          properties.payloadFormatIndicator = number;
          any = true;
        } else if (header.key === MqttHeaders.messageExpiryInterval && number <= EXPIRY_SECONDS_MAX) {
          message.expiresAtMs = Number(record.timestamp) + number * 1000;
        } else {
          skippedHeaders++;
        }
        continue;
      }
      case MqttHeaders.contentType:
      case MqttHeaders.responseTopic: {
        const text = utf8(value);
        if (text === undefined) skippedHeaders++;
        else {
          properties[header.key === MqttHeaders.contentType ? 'contentType' : 'responseTopic'] = text;
          any = true;
        }
        continue;
      }
      default: {
        const text = utf8(value);
        if (text === undefined || header.key.includes('\u0000')) skippedHeaders++;
        else {
          (properties.userProperties ??= []).push([header.key, text]);
          any = true;
        }
      }
    }
  }
  if (any) message.properties = properties;
  return { message, skippedHeaders };
}
