// How the message browser shows a payload. JSON, CBOR and SenML (in JSON or CBOR) are
// recognised from the bytes (shared/payloads.ts, as `tributary consume` does), text is shown
// as text, and anything else as hex. Formats that depend on where a record came from are
// recognised first, by their MQTT topic: Sparkplug B (topics spBv1.0/…) is decoded by the
// connectors' Sparkplug decoder (edge/connectors/sparkplug).
import { decodeValue, type DecodeMode } from '../../../../shared/record-view.ts';
import { sparkplugPayloadForDisplay } from '../../../connectors/sparkplug/index.ts';

/** Payload bytes shown as hex at most: a screenful; the size says how many there were. */
export const HEX_BYTES_SHOWN_MAX = 4096;

export const BROWSER_DECODE_MODES = ['auto', 'json', 'cbor', 'senml', 'text', 'hex'] as const;
export type BrowserDecodeMode = (typeof BROWSER_DECODE_MODES)[number];

export interface ShownPayload {
  /** json, cbor, senml-json, senml-cbor, text, sparkplug-b, binary, null, or invalid. */
  format: string;
  /** The decoded value (JSON-safe) for structured formats, the text for text, null otherwise. */
  value: unknown;
  /** Hex of the first HEX_BYTES_SHOWN_MAX bytes, for binary payloads and hex mode. */
  hex?: string;
  note?: string;
}

/** A payload format recognised by where the record came from, before its bytes are looked at. */
interface SourceDecoder {
  format: string;
  /** Whether a record published to this MQTT topic is in this format. */
  matchesMqttTopic(topic: string): boolean;
  /** Decodes the payload; absent while the format is known but not yet decoded. */
  decode?: (payload: Uint8Array) => unknown;
  /** Said beside the payload when there is no decoder yet. */
  pending: string;
}

const SOURCE_DECODERS: readonly SourceDecoder[] = [
  // Sparkplug B 3.0, section 4.1: spBv1.0/<group>/<message type>/<edge node>[/<device>].
  { format: 'sparkplug-b', matchesMqttTopic: (topic) => topic.startsWith('spBv1.0/'), decode: sparkplugPayloadForDisplay, pending: 'Sparkplug B: decoding arrives with the connectors; shown as hex' },
];

export function showPayload(payload: Uint8Array | null, mode: BrowserDecodeMode, mqttTopic: string | null): ShownPayload {
  if (payload === null) return { format: 'null', value: null };
  if (mode === 'hex') return { format: 'binary', value: null, hex: hexOf(payload) };
  if (mode === 'text') return { format: 'text', value: Buffer.from(payload).toString('utf8') };
  if (mode === 'auto' && mqttTopic !== null) {
    const source = SOURCE_DECODERS.find((decoder) => decoder.matchesMqttTopic(mqttTopic));
    if (source?.decode) return { format: source.format, value: source.decode(payload) };
    if (source) return { format: source.format, value: null, hex: hexOf(payload), note: source.pending };
  }
  const decoded = decodeValue(payload, mode as DecodeMode);
  if (decoded.error !== undefined) return { format: 'invalid', value: null, hex: hexOf(payload), note: decoded.error };
  if (decoded.format === 'binary') return { format: 'binary', value: null, hex: hexOf(payload) };
  return { format: decoded.format, value: decoded.value };
}

/** "0a 1b 2c …", at most HEX_BYTES_SHOWN_MAX bytes. */
export function hexOf(bytes: Uint8Array): string {
  const shown = Buffer.from(bytes.subarray(0, HEX_BYTES_SHOWN_MAX)).toString('hex').replace(/(..)(?!$)/g, '$1 ');
  return bytes.length > HEX_BYTES_SHOWN_MAX ? `${shown} …` : shown;
}
