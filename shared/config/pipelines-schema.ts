// The `pipelines:` section of the edge YAML: stream processing inside the daemon. Each
// pipeline reads one topic, runs its steps (filter, map, window, dedupe, throttle) and
// writes to another topic, exactly once. One TypeBox definition, like the rest of the
// file: the JSON Schema, the types and the defaults come from here. Expressions are
// checked when the daemon starts (edge/pipelines/plan.ts), where the expression library
// is loaded only if a pipeline is configured.
import { Type, type Static } from '@sinclair/typebox';
import { oneOf } from './one-of.ts';

const TOPIC_NAME_PATTERN = '^[A-Za-z0-9._-]{1,249}$';
/** A pipeline's name is part of its state topic's name (__pipeline.NAME.state), so it keeps to topic-name characters. */
const PIPELINE_NAME_PATTERN = '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$';
/** 60s, 5m, 1h, 500ms, 1d, or a number of milliseconds. */
export const DURATION_PATTERN = '^[0-9]{1,12}(ms|s|m|h|d)$';
/** Longest expression text accepted: an expression is a line of a rule, not a program. */
export const EXPRESSION_LENGTH_MAX = 1000;

const duration = (description: string, options: { default?: string } = {}) => Type.Union([
  Type.Integer({ minimum: 0, maximum: 366 * 24 * 3600_000 }),
  Type.String({ pattern: DURATION_PATTERN }),
], { ...options, description: `${description} A duration: 500ms, 60s, 5m, 1h, 1d, or a number of milliseconds.` });

const expression = (description: string) => Type.String({ minLength: 1, maxLength: EXPRESSION_LENGTH_MAX, description });

/** Fields (output name → expression): at most this many, so one record's output stays small. */
const FIELDS_MAX = 64;

const fields = (description: string) => Type.Record(Type.String({ pattern: '^[A-Za-z_$][A-Za-z0-9_$]{0,63}$' }), expression('An expression.'), { minProperties: 1, maxProperties: FIELDS_MAX, description });

/** Each step is a mapping of one key, its kind. */
const STEP_OPTIONS = { additionalProperties: false } as const;

const FilterStep = Type.Object({ filter: expression('Keeps the records for which this boolean expression is true.') }, { ...STEP_OPTIONS, description: 'filter: "EXPRESSION"' });

const MapStep = Type.Object({ map: fields('The output value: an object of field name → expression.') }, { ...STEP_OPTIONS, description: 'map: { FIELD: "EXPRESSION", … }' });

const WindowStep = Type.Object({ window: Type.Object({
  size: duration('Length of each window.'),
  advance: Type.Optional(duration('Hopping windows: a new window starts every advance (it must divide size). Unset: tumbling windows (advance = size).')),
  grace: Type.Optional(duration('How long after its end a window still accepts late records; it is emitted once event time passes end + grace.', { default: '0s' })),
  time: Type.Optional(expression('Event time of a record in epoch milliseconds. Unset: the record\'s timestamp.')),
  aggregate: fields('The output fields: name → an expression over count(), sum(x), min(x), max(x), avg(x), first(x), last(x).'),
}, { additionalProperties: false }) }, { ...STEP_OPTIONS, description: 'window: { size, advance, grace, time, aggregate }' });

const DedupeStep = Type.Object({ dedupe: Type.Object({
  field: expression('The value that identifies a duplicate, per record key.'),
  within: duration('A record is dropped when the same key and value were seen less than this long before, in event time.'),
}, { additionalProperties: false }) }, { ...STEP_OPTIONS, description: 'dedupe: { field, within }' });

const ThrottleStep = Type.Object({ throttle: Type.Object({
  interval: duration('At most one record per key passes per interval, in event time; the first one does.'),
}, { additionalProperties: false }) }, { ...STEP_OPTIONS, description: 'throttle: { interval }' });

const LimitsSchema = Type.Object({
  openWindows: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000, description: 'Windows open at once per window step and input partition (distinct start times). A record that would open one more is dropped and counted.' }),
  keysPerWindow: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 100_000, description: 'Keys one window aggregates at once per input partition. A record of a new key beyond it is dropped and counted.' }),
  dedupeEntries: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 100_000, description: 'Key and value pairs a dedupe step remembers per input partition. Beyond it the record passes (it cannot be checked) and is counted.' }),
  throttleKeys: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 100_000, description: 'Keys a throttle step remembers per input partition. A record of a new key beyond it is dropped and counted.' }),
  recordBytes: Type.Integer({ minimum: 64, maximum: 16 * 1024 * 1024, default: 1024 * 1024, description: 'Largest input value decoded; a larger one is counted as an error and skipped (bounds the time an expression takes per record).' }),
}, { additionalProperties: false, default: {}, description: 'Limits on what one pipeline holds in memory.' });

export const PipelineSchema = Type.Object({
  name: Type.String({ pattern: PIPELINE_NAME_PATTERN, description: 'Unique name of the pipeline: in metrics, in `tributary pipelines`, and in the headers and state topic (__pipeline.NAME.state) it writes.' }),
  from: Type.String({ pattern: TOPIC_NAME_PATTERN, description: 'Topic read; each of its partitions is processed on its own, in order.' }),
  decode: oneOf(['json', 'cbor', 'senml', 'senml-json', 'senml-cbor', 'raw'] as const, { default: 'json', description: 'Format of the input values. senml reads SenML in JSON or CBOR, each record\'s value under its name n; raw gives the value as text.' }),
  steps: Type.Array(Type.Union([FilterStep, MapStep, WindowStep, DedupeStep, ThrottleStep]), { default: [], maxItems: 32, description: 'What is done to each record, in order: filter, map, window, dedupe, throttle (edge/pipelines/README.md).' }),
  to: Type.String({ pattern: TOPIC_NAME_PATTERN, description: 'Topic written: input partition p goes to output partition p modulo its partition count. Created with the topic defaults when missing.' }),
  encode: oneOf(['json', 'cbor'] as const, { default: 'json', description: 'Format of the output values.' }),
  startFrom: oneOf(['earliest', 'latest'] as const, { default: 'earliest', description: 'Where a new pipeline (or one reset) starts reading: the oldest record kept, or new records only.' }),
  commitIntervalMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 1000, description: 'Longest time between commits of the input position and window state (outputs are committed as soon as there are any). Longer means fewer writes to flash, and more input to read again after a crash.' }),
  limits: LimitsSchema,
}, { additionalProperties: false });

export const PipelinesSchema = Type.Array(PipelineSchema, { default: [], maxItems: 100, description: 'Stream processing inside the daemon, declared here and run exactly once (edge/pipelines/README.md).' });

export type PipelineConfig = Static<typeof PipelineSchema>;
export type PipelineStepConfig = PipelineConfig['steps'][number];
export type PipelineLimits = Static<typeof LimitsSchema>;
