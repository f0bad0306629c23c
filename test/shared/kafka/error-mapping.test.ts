import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TributaryError } from '../../../shared/errors.ts';
import { isExpectedError, kafkaErrorCodeOf } from '../../../shared/kafka/error-mapping.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';

test('log errors become the codes a Kafka broker answers with', () => {
  const cases: Array<[ConstructorParameters<typeof TributaryError>[0], number]> = [
    ['TOPIC_NOT_FOUND', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ['PARTITION_NOT_FOUND', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ['RECORD_TOO_LARGE', ErrorCode.MESSAGE_TOO_LARGE],
    ['INVALID_RECORD_BATCH', ErrorCode.CORRUPT_MESSAGE],
    ['OUT_OF_ORDER_SEQUENCE', ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER],
    ['PRODUCER_FENCED', ErrorCode.INVALID_PRODUCER_EPOCH],
    ['STORAGE_DISK_FULL', ErrorCode.KAFKA_STORAGE_ERROR],
    ['INVALID_TOPIC_CONFIG', ErrorCode.INVALID_CONFIG],
  ];
  for (const [code, kafkaCode] of cases) {
    const error = new TributaryError(code, 'x');
    assert.is(kafkaErrorCodeOf(error), kafkaCode, code);
    assert.ok(isExpectedError(error), code);
  }
});

test('anything else is UNKNOWN_SERVER_ERROR and unexpected', () => {
  for (const error of [new TributaryError('CONFIG_INVALID', 'x'), new Error('bug'), 'thrown string']) {
    assert.is(kafkaErrorCodeOf(error), ErrorCode.UNKNOWN_SERVER_ERROR);
    assert.not.ok(isExpectedError(error));
  }
});

test.run();
