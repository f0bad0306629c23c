import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProgressBar } from '../../../../edge/cli/ops/progress-bar.ts';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => { written.push(text); return true; } };
}

test('on a terminal the bar is drawn and cleared again', () => {
  const terminal = stream(true);
  const bar = new ProgressBar({ label: 'consuming', total: 4, unit: 'records', stream: terminal });
  bar.advance(2);
  assert.is(bar.render(), 'consuming [###############...............] 2/4 records 50%');
  assert.ok(terminal.written.some((text) => text.includes('2/4 records')));
  bar.finish();
  assert.is(terminal.written.at(-1), '\r\x1b[2K');
});

test('into a file or pipe nothing is written', () => {
  const pipe = stream(false);
  const bar = new ProgressBar({ label: 'producing', total: 10, stream: pipe });
  bar.advance(5);
  bar.finish();
  assert.equal(pipe.written, []);
});

test('turned off by the caller, a terminal sees nothing either', () => {
  const terminal = stream(true);
  const bar = new ProgressBar({ label: 'x', stream: terminal, enabled: false });
  bar.advance();
  assert.equal(terminal.written, []);
});

test('without a total the count is shown; progress past the total stays at 100%', () => {
  const bar = new ProgressBar({ label: 'reading', unit: 'bytes', stream: stream(false) });
  bar.advance(7);
  assert.is(bar.render(), 'reading 7 bytes');
  bar.setTotal(5);
  assert.match(bar.render(), /7\/5 bytes 100%$/);
});

test.run();
