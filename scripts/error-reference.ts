// The table of operating errors in README.md: every code of the catalogue (shared/errors.ts),
// the class that carries it and what it means. `npm run docs` writes it there, and a test
// checks that README.md holds it and that every error class the sources define is listed.
import { ErrorCodes, type ErrorCode } from '../shared/errors.ts';
import { KAFKA_PROTOCOL_ERROR_CODES } from '../shared/kafka/protocol/errors.ts';

/** Every subclass of TributaryError, with the codes it carries. A code no subclass lists is carried by TributaryError itself. */
export const ERROR_CLASSES: ReadonlyArray<{ name: string; codes: readonly ErrorCode[] }> = [
  { name: 'KafkaProtocolError', codes: KAFKA_PROTOCOL_ERROR_CODES },
  { name: 'ExpressionError', codes: ['EXPRESSION_INVALID'] },
  { name: 'RefusedPublishError', codes: ['MQTT_PUBLISH_REFUSED'] },
];

export function classOfCode(code: ErrorCode): string {
  return ERROR_CLASSES.find((errorClass) => errorClass.codes.includes(code))?.name ?? 'TributaryError';
}

export function errorReference(): string {
  const rows = (Object.entries(ErrorCodes) as Array<[ErrorCode, string]>).map(([code, meaning]) => `| \`${code}\` | \`${classOfCode(code)}\` | ${meaning} |`);
  return ['| code | class | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
