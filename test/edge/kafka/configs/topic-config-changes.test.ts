import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_TOPIC_CONFIG, resolveTopicConfig } from '../../../../shared/config/topic-settings.ts';
import { ErrorCode } from '../../../../shared/kafka/protocol/error-codes.ts';
import { changeTopicSettings, ConfigOperation, type ChangeOutcome } from '../../../../edge/kafka/configs/topic-config-changes.ts';
import { TOPIC_CONFIGS, topicConfigEntry } from '../../../../edge/kafka/configs/topic-configs.ts';

const { SET, DELETE, APPEND, SUBTRACT } = ConfigOperation;

function settings(outcome: ChangeOutcome) {
  assert.ok('override' in outcome, 'errorMessage' in outcome ? outcome.errorMessage : '');
  return outcome.override;
}

function refusal(outcome: ChangeOutcome) {
  assert.ok('errorCode' in outcome, 'refused');
  return outcome;
}

test('SET writes Kafka names into the topic settings, within the schema bounds', () => {
  const override = settings(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [
    { name: 'retention.ms', operation: SET, value: '-1' },
    { name: 'segment.bytes', operation: SET, value: '1048576' },
    { name: 'max.message.bytes', operation: SET, value: '2097152' },
    { name: 'compression.type', operation: SET, value: 'LZ4' },
  ]));
  assert.equal(override, { retentionMs: -1, segmentBytes: 1048576, maxMessageBytes: 2097152, compressionType: 'lz4' });
  assert.match(refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'segment.bytes', operation: SET, value: '100' }])).errorMessage, /segment\.bytes: must be an integer from 1024 to 1073741824/);
  assert.is(refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'retention.ms', operation: SET, value: '1.5' }])).errorCode, ErrorCode.INVALID_CONFIG);
  assert.is(refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'retention.ms', operation: SET, value: null }])).errorCode, ErrorCode.INVALID_REQUEST);
});

test('flush.ms maps onto the flush policy: 0 always, an interval, or Long.MAX_VALUE for the operating system', () => {
  assert.equal(settings(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'flush.ms', operation: SET, value: '0' }])), { flush: { policy: 'always' } });
  assert.equal(settings(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'flush.ms', operation: SET, value: '250' }])), { flush: { policy: 'interval', intervalMs: 250 } });
  assert.equal(settings(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'flush.ms', operation: SET, value: '9223372036854775807' }])), { flush: { policy: 'os' } });
  assert.is(refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'flush.ms', operation: SET, value: '120000' }])).errorCode, ErrorCode.INVALID_CONFIG, 'no silent clamping to 60 s');
  const config = resolveTopicConfig(DEFAULT_TOPIC_CONFIG, { flush: { policy: 'os' } });
  assert.is(TOPIC_CONFIGS.get('flush.ms')!.read(config), '9223372036854775807');
});

test('DELETE returns a config to the default; APPEND and SUBTRACT work on lists only', () => {
  assert.equal(settings(changeTopicSettings({ retentionMs: 5, segmentMs: 60_000 }, DEFAULT_TOPIC_CONFIG, [{ name: 'retention.ms', operation: DELETE, value: null }])), { segmentMs: 60_000 });
  assert.equal(settings(changeTopicSettings({ flush: { policy: 'os', intervalMs: 50 } }, DEFAULT_TOPIC_CONFIG, [{ name: 'tributary.flush.policy', operation: DELETE, value: null }])), { flush: { intervalMs: 50 } });
  assert.equal(settings(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'cleanup.policy', operation: APPEND, value: 'delete' }])), { cleanupPolicy: 'delete' }, 'delete is already there, now set on the topic');
  assert.equal(settings(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'cleanup.policy', operation: APPEND, value: 'compact' }])), { cleanupPolicy: 'compact,delete' });
  const compactAndDelete = resolveTopicConfig(DEFAULT_TOPIC_CONFIG, { cleanupPolicy: 'compact,delete' });
  assert.equal(settings(changeTopicSettings({ cleanupPolicy: 'compact,delete' }, compactAndDelete, [{ name: 'cleanup.policy', operation: SUBTRACT, value: 'delete' }])), { cleanupPolicy: 'compact' });
  const emptied = refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'cleanup.policy', operation: SUBTRACT, value: 'delete' }]));
  assert.equal([emptied.errorCode, emptied.errorMessage], [ErrorCode.INVALID_CONFIG, 'invalid value "" for cleanup.policy: name delete, compact or both']);
  assert.is(refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'retention.ms', operation: APPEND, value: '1' }])).errorCode, ErrorCode.INVALID_CONFIG);
  assert.is(refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'retention.ms', operation: 9, value: '1' }])).errorCode, ErrorCode.INVALID_REQUEST);
});

test('cleanup.policy takes delete and compact in any order; the compaction settings take Kafka values within their bounds', () => {
  assert.equal(settings(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'cleanup.policy', operation: SET, value: ' delete , compact ' }])), { cleanupPolicy: 'compact,delete' });
  assert.equal(settings(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'cleanup.policy', operation: SET, value: 'compact' }])), { cleanupPolicy: 'compact' });
  assert.match(refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'cleanup.policy', operation: SET, value: 'compact,shred' }])).errorMessage, /cleanup\.policy: shred is not a cleanup policy/);
  assert.equal(settings(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [
    { name: 'min.cleanable.dirty.ratio', operation: SET, value: '0.01' },
    { name: 'min.compaction.lag.ms', operation: SET, value: '1000' },
    { name: 'max.compaction.lag.ms', operation: SET, value: '60000' },
    { name: 'delete.retention.ms', operation: SET, value: '0' },
  ])), { minCleanableDirtyRatio: 0.01, minCompactionLagMs: 1000, maxCompactionLagMs: 60_000, deleteRetentionMs: 0 });
  assert.match(refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'min.cleanable.dirty.ratio', operation: SET, value: '1.5' }])).errorMessage, /must be a number from 0 to 1/);
  assert.match(refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'min.cleanable.dirty.ratio', operation: SET, value: 'half' }])).errorMessage, /min\.cleanable\.dirty\.ratio: must be a number/);
  assert.match(refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'max.compaction.lag.ms', operation: SET, value: '0' }])).errorMessage, /must be an integer from 1 to 9007199254740991 or 9223372036854775807/);
  // Kafka's Long.MAX_VALUE, the default of max.compaction.lag.ms, reads and writes as "never".
  assert.is(TOPIC_CONFIGS.get('max.compaction.lag.ms')!.read(DEFAULT_TOPIC_CONFIG), '9223372036854775807');
  assert.equal(settings(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'max.compaction.lag.ms', operation: SET, value: '9223372036854775807' }])), { maxCompactionLagMs: Number.MAX_SAFE_INTEGER });
  assert.equal(['cleanup.policy', 'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'delete.retention.ms', 'segment.ms'].map((name) => TOPIC_CONFIGS.get(name)!.read(DEFAULT_TOPIC_CONFIG)), ['delete', '0.5', '0', '86400000', '604800000'], "Kafka's defaults");
});

test('unknown and repeated names are refused and nothing of the change applies', () => {
  const current = { retentionMs: 5 };
  const unknown = refusal(changeTopicSettings(current, DEFAULT_TOPIC_CONFIG, [{ name: 'segment.ms', operation: SET, value: '5000' }, { name: 'log.retention.ms', operation: SET, value: '1' }]));
  assert.is(unknown.errorCode, ErrorCode.INVALID_CONFIG);
  assert.match(unknown.errorMessage, /unknown topic config log\.retention\.ms/);
  assert.equal(current, { retentionMs: 5 }, 'the current settings are not touched');
  assert.is(refusal(changeTopicSettings({}, DEFAULT_TOPIC_CONFIG, [{ name: 'segment.ms', operation: SET, value: '5000' }, { name: 'segment.ms', operation: DELETE, value: null }])).errorCode, ErrorCode.INVALID_REQUEST);
});

test('an entry names its source: the topic itself, the YAML defaults, or the built-in default, with the synonyms under it', () => {
  const definition = TOPIC_CONFIGS.get('retention.ms')!;
  const yamlDefaults = { ...DEFAULT_TOPIC_CONFIG, retentionMs: 86_400_000 };
  const own = topicConfigEntry(definition, { config: resolveTopicConfig(yamlDefaults, { retentionMs: 60_000 }), overrides: { retentionMs: 60_000 } }, yamlDefaults);
  assert.equal([own.value, own.source, own.synonyms], ['60000', 1, [
    { name: 'retention.ms', value: '60000', source: 1 },
    { name: 'log.retention.ms', value: '86400000', source: 4 },
    { name: 'log.retention.ms', value: '604800000', source: 5 },
  ]]);
  const inherited = topicConfigEntry(definition, { config: yamlDefaults, overrides: {} }, yamlDefaults);
  assert.equal([inherited.value, inherited.source], ['86400000', 4]);
  const builtIn = topicConfigEntry(definition, { config: DEFAULT_TOPIC_CONFIG, overrides: {} }, DEFAULT_TOPIC_CONFIG);
  assert.equal([builtIn.value, builtIn.source, builtIn.synonyms.length], ['604800000', 5, 1]);
});

test.run();
