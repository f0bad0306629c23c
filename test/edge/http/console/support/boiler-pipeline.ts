// A pipeline whose every count is known: hot boilers summarised per minute of event time,
// fed readings it keeps, filters, cannot decode and finds late. The console's API and page
// tests run it on their daemons and expect these numbers.

export const BOILER_PIPELINE = {
  name: 'boiler-alerts',
  from: 'boilers',
  decode: 'json',
  // Grace 0: a reading for a minute already emitted is late.
  steps: [{ filter: 'temp > 80' }, { window: { size: '1m', aggregate: { n: 'count()', max: 'max(temp)' } } }],
  to: 'boiler-alerts',
};

const T0 = 1_700_000_040_000;

/** Kept, filtered, undecodable, kept (its event time closes the first minute), late. As kafkajs messages. */
export const BOILER_READINGS = [
  { key: 'boiler-1', value: '{"temp": 90}', timestamp: String(T0) },
  { key: 'boiler-1', value: '{"temp": 70}', timestamp: String(T0 + 10_000) },
  { key: 'boiler-1', value: 'not json', timestamp: String(T0 + 20_000) },
  { key: 'boiler-1', value: '{"temp": 95}', timestamp: String(T0 + 70_000) },
  { key: 'boiler-1', value: '{"temp": 99}', timestamp: String(T0 + 5_000) },
];

/** What the pipeline has counted once it has read BOILER_READINGS: one summary out, the second minute open. */
export const BOILER_COUNTS = { recordsIn: 5, recordsOut: 1, filtered: 1, late: 1, errors: 1, openWindows: 1 };
/** The offset of the undecodable reading, and what its problem says. */
export const BOILER_PROBLEM = { offset: '2', message: 'the value is not json' };

/** One more kept reading, in the open minute. */
export const BOILER_LATER_READING = { key: 'boiler-1', value: '{"temp": 100}', timestamp: String(T0 + 75_000) };
