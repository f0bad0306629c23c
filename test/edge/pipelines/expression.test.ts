import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileAggregateFields, compileExpression } from '../../../edge/pipelines/expression/compile.ts';
import { ExpressionError, EXPRESSION_NODES_MAX } from '../../../edge/pipelines/expression/dialect.ts';
import { RecordScope } from '../../../edge/pipelines/expression/record-scope.ts';

function evaluate(text: string, value: unknown, key: string | null = 'device-7'): unknown {
  const scope = new RecordScope();
  scope.reset(value, key === null ? null : Buffer.from(key), 1_700_000_000_000, [{ key: 'mqtt.topic', value: Buffer.from('sensors/device-7/temp') }], 42n);
  return compileExpression(text)(scope);
}

function columnOf(text: string): number {
  try {
    compileExpression(text);
  } catch (error) {
    assert.instance(error, ExpressionError);
    return (error as ExpressionError).column;
  }
  throw new Error(`${text} compiled`);
}

test('the example filter keeps readings in range and drops the others', () => {
  assert.is(evaluate('temp >= -40 and temp <= 85', { temp: 21.5 }), true);
  assert.is(evaluate('temp >= -40 and temp <= 85', { temp: 85.5 }), false);
  assert.is(evaluate('temp >= -40 and temp <= 85', { temp: -41 }), false);
  assert.is(evaluate('temp >= -40 and temp <= 85', { humidity: 3 }), false, 'a missing field compares false');
});

test('word and symbol operators, precedence as in SQL', () => {
  assert.is(evaluate('not a == 1 or b', { a: 1, b: false }), false);
  assert.is(evaluate('not (a == 1) || b', { a: 2, b: false }), true);
  assert.is(evaluate('a > 1 && !b', { a: 2, b: false }), true);
  assert.is(evaluate('(temp - 32) * 5 / 9', { temp: 212 }), 100);
  assert.is(evaluate("status == 'alarm' ? 1 : 0", { status: 'alarm' }), 1);
  assert.is(evaluate('7 % 4 + 1', {}), 4);
});

test('record parts: $key, $timestamp, $headers, $offset, $value', () => {
  assert.is(evaluate("$key == 'device-7'", {}), true);
  assert.is(evaluate('$key', {}, null), null);
  assert.is(evaluate('$timestamp', {}), 1_700_000_000_000);
  assert.is(evaluate("$headers['mqtt.topic']", {}), 'sensors/device-7/temp');
  assert.is(evaluate('$offset', {}), 42);
  assert.is(evaluate('$value', 5), 5);
});

test('nested fields, own properties only: no prototype is reachable', () => {
  assert.is(evaluate('site.room.name', { site: { room: { name: 'north' } } }), 'north');
  assert.is(evaluate("site['room'].name", { site: { room: { name: 'north' } } }), 'north');
  assert.is(evaluate('site.room', {}), undefined);
  assert.is(evaluate('a.constructor', { a: {} }), undefined);
  assert.is(evaluate('a.__proto__', { a: {} }), undefined);
  assert.is(evaluate('toString', {}), undefined);
  assert.is(evaluate('a.length', { a: 'four' }), 4);
});

test('functions: rounding, text, coalesce', () => {
  assert.is(evaluate('round(x, 1)', { x: 21.56 }), 21.6);
  assert.is(evaluate('greatest(a, 3, 1)', { a: 2 }), 3);
  assert.is(evaluate("lower(site) == 'north'", { site: 'NORTH' }), true);
  assert.is(evaluate('coalesce(a, b, 9)', { b: 4 }), 4);
  assert.is(evaluate("contains(name, 'pump')", { name: 'pump-3' }), true);
  assert.is(evaluate('number(v) + 1', { v: '41' }), 42);
  assert.is(evaluate('exists(v)', { v: null }), false);
});

test('an expression that does not parse is refused with its column', () => {
  assert.is(columnOf('temp >= -40 and'), 13);
  assert.is(columnOf('temp >= (3'), 11);
  assert.is(columnOf("a == 'open"), 11, 'an unclosed string is reported where the text ends');
});

test('what the dialect leaves out is refused at compile time, with the column', () => {
  assert.is(columnOf('a = 1'), 3);
  assert.is(columnOf('a++'), 2);
  assert.is(columnOf('1 | 2'), 3);
  assert.ok(columnOf('x.toString()') > 0);
  assert.throws(() => compileExpression('eval(1)'), /unknown function eval\(\)/);
  assert.throws(() => compileExpression('toString(1)'), /unknown function toString\(\)/);
  assert.throws(() => compileExpression('avg(temp)'), /belongs in a window's aggregate/);
  assert.throws(() => compileExpression(Array.from({ length: EXPRESSION_NODES_MAX }, () => 'a').join(' + ')), /more than 256 parts/);
});

test('aggregate fields: calls become accumulators, shared when equal, combined by an outer expression', () => {
  const fields = compileAggregateFields({ avg: 'avg(temp)', spread: 'max(temp) - min(temp)', top: 'max(temp)', n: 'count()' });
  assert.equal(fields.aggregates.map((aggregate) => aggregate.fn), ['avg', 'max', 'min', 'count']);
  assert.equal(fields.fields.map((field) => field.name), ['avg', 'spread', 'top', 'n']);
  const scope = new RecordScope();
  scope.aggregates = [20, 30, 10, 5];
  assert.equal(fields.fields.map((field) => field.evaluate(scope)), [20, 20, 30, 5]);
});

test('aggregate fields are refused when they nest, lack an aggregate or use a field outside one', () => {
  assert.throws(() => compileAggregateFields({ x: 'max(avg(temp))' }), /aggregate x: avg\(\) inside max\(\)/);
  assert.throws(() => compileAggregateFields({ x: 'temp + 1' }), /needs an aggregate/);
  assert.throws(() => compileAggregateFields({ x: 'max(temp) - temp' }), /field temp is used outside an aggregate/);
  assert.throws(() => compileAggregateFields({ x: 'sum()' }), /sum\(\) needs the value/);
  assert.not.throws(() => compileAggregateFields({ x: 'round(avg(temp), 1)', k: "$key + ':' + string(count())" }));
});

test.run();
