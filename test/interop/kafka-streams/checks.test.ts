// The checks of the Streams runs can fail: fed output that loses a reading, counts one twice,
// joins the wrong site, restores a window short or leaves a window out, each names the
// problem, and fed the output the inputs determine, none finds one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkEnriched, checkInputs, checkRestored, checkWindows, expectedWindows, latestByKey, makeReadings, siteOf, windowBase, type Reading } from './readings.ts';
import type { DumpedRecord } from './streams-programs.ts';

const readings = makeReadings(0, 96, windowBase(Date.UTC(2026, 0, 1)));
const expected = expectedWindows(readings);

function enrichedOf(inputs: readonly Reading[]): DumpedRecord[] {
  return inputs.map((reading, offset) => ({ partition: 0, offset, key: reading.device, value: `${reading.uid},${reading.device},${reading.value},${siteOf(reading.device)}` }));
}

/** The windows topic as the application writes it: one update per reading, each value the uids so far. */
function windowsOf(inputs: readonly Reading[]): DumpedRecord[] {
  const sofar = new Map<string, string[]>();
  const windowKey = (reading: Reading): string => [...expectedWindows([reading]).keys()][0]!;
  return inputs.map((reading, offset) => {
    const key = windowKey(reading);
    sofar.set(key, [...(sofar.get(key) ?? []), reading.uid]);
    return { partition: 0, offset, key, value: sofar.get(key)!.join(';') };
  });
}

test('the output the inputs determine passes every check under both guarantees', () => {
  const windows = windowsOf(readings);
  for (const guarantee of ['at_least_once', 'exactly_once_v2'] as const) {
    assert.equal(checkEnriched(enrichedOf(readings), readings, guarantee), []);
    assert.equal(checkWindows(windows, expected, guarantee), []);
    assert.equal(checkRestored(latestByKey(windows), latestByKey(windows), expected, guarantee), []);
  }
  assert.equal(checkInputs(enrichedOf(readings), readings), []);
});

test('a lost reading fails under both guarantees; a duplicate only under exactly_once_v2', () => {
  const lost = enrichedOf(readings.slice(1));
  assert.match(checkEnriched(lost, readings, 'at_least_once').join('\n'), 'reading r0 in enriched: lost');
  const duplicated = enrichedOf([...readings, readings[5]!]);
  assert.equal(checkEnriched(duplicated, readings, 'at_least_once'), []);
  assert.match(checkEnriched(duplicated, readings, 'exactly_once_v2').join('\n'), 'reading r5 in enriched: 2 times under exactly_once_v2');
  assert.match(checkInputs(duplicated, readings).join('\n'), 'input r5: 2 copies');
});

test('a wrong site or a record that is no input is named', () => {
  const records = enrichedOf(readings);
  records[3] = { ...records[3]!, value: records[3]!.value.replace(/site-of-d\d/, 'former-site-of-d3') };
  records.push({ partition: 1, offset: 0, key: 'd0', value: 'r9999,d0,1,site-of-d0' });
  const problems = checkEnriched(records, readings, 'at_least_once').join('\n');
  assert.match(problems, 'enriched 0@3');
  assert.match(problems, 'r9999,d0,1,site-of-d0 is no input');
});

test('a window short of a reading, counting one twice, or missing is named', () => {
  const short = windowsOf(readings.filter((reading) => reading.uid !== 'r7'));
  assert.match(checkWindows(short, expected, 'at_least_once').join('\n'), ': r7: lost');
  const twice = windowsOf([...readings, readings[7]!]);
  assert.equal(checkWindows(twice, expected, 'at_least_once'), []);
  assert.match(checkWindows(twice, expected, 'exactly_once_v2').join('\n'), 'a reading counted twice');
  const device0Only = windowsOf(readings.filter((reading) => reading.device === 'd0'));
  assert.match(checkWindows(device0Only, expected, 'at_least_once').join('\n'), /window d1@\d+: no output/);
});

test('a restored store that differs from the last output, or lacks a window, is named', () => {
  const latest = latestByKey(windowsOf(readings));
  const restored = new Map(latest);
  const [firstKey, firstValue] = [...restored][0]!;
  restored.set(firstKey, firstValue.split(';').slice(1).join(';'));
  const [secondKey] = [...restored.keys()].slice(1);
  restored.delete(secondKey!);
  const problems = checkRestored(restored, latest, expected, 'at_least_once').join('\n');
  assert.match(problems, `restored window ${firstKey}: ${firstValue.split(';')[0]}: lost`);
  assert.match(problems, `differs from its last output`);
  assert.match(problems, `restored window ${secondKey}: missing`);
});

test.run();
