// Sparkplug B payloads made by Eclipse Tahu's own JavaScript library (sparkplug-payload),
// so that the decoder is checked against an encoder it shares no code with.
import sparkplugPayload from 'sparkplug-payload';

export const sparkplugB = sparkplugPayload.get('spBv1.0')!;

export type TahuPayload = Parameters<typeof sparkplugB.encodePayload>[0];

export function encodeSparkplug(payload: TahuPayload): Buffer {
  return Buffer.from(sparkplugB.encodePayload(payload));
}
