import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { centralHeaders, readCentralCoordinates, readSourceCoordinates, sourceHeaders, type HeaderLike } from '../../mirror/source-headers.ts';

function asDecoded(headers: { key: string; value: Buffer | string | null }[]): HeaderLike[] {
  return headers.map((header) => ({ key: Buffer.from(header.key), value: header.value === null ? null : Buffer.from(header.value) }));
}

test('source coordinates survive the trip through headers', () => {
  const coordinates = { edge: 'pump-7', topic: 'sensors', partition: 3, offset: 9_007_199_254_740_993n };
  const headers = asDecoded(sourceHeaders(coordinates));
  assert.equal(readSourceCoordinates(headers), coordinates);
  assert.equal(readSourceCoordinates([{ key: 'user', value: Buffer.from('x') }, ...headers]), coordinates, 'other headers are ignored');
});

test('the last occurrence of a key counts, so a record mirrored twice names its newest hop', () => {
  const first = asDecoded(sourceHeaders({ edge: 'sensor-box', topic: 'raw', partition: 0, offset: 5n }));
  const second = asDecoded(sourceHeaders({ edge: 'gateway', topic: 'sensor-box.raw', partition: 0, offset: 77n }));
  assert.equal(readSourceCoordinates([...first, ...second]), { edge: 'gateway', topic: 'sensor-box.raw', partition: 0, offset: 77n });
});

test('missing or malformed coordinates read as none', () => {
  const good = sourceHeaders({ edge: 'e', topic: 't', partition: 1, offset: 2n });
  assert.is(readSourceCoordinates(asDecoded(good.slice(0, 3))), undefined, 'no offset');
  for (const bad of ['-1', '01', '1e3', ' 5', '99999999999999999999']) {
    const headers = asDecoded([...good.slice(0, 3), { key: 'tributary.offset', value: bad }]);
    assert.is(readSourceCoordinates(headers), undefined, `offset "${bad}"`);
  }
  assert.is(readSourceCoordinates(asDecoded([...good.slice(0, 2), { key: 'tributary.partition', value: '4294967296' }, good[3]!])), undefined, 'partition beyond int32');
  assert.is(readSourceCoordinates(asDecoded([{ key: 'tributary.edge', value: null }, ...good.slice(1)])), undefined, 'null value');
});

test('central coordinates of reverse records round-trip too', () => {
  const coordinates = { topic: 'commands.pump-7', partition: 0, offset: 41n };
  assert.equal(readCentralCoordinates(asDecoded(centralHeaders(coordinates))), coordinates);
  assert.is(readCentralCoordinates(asDecoded(sourceHeaders({ edge: 'e', topic: 't', partition: 0, offset: 1n }))), undefined);
});

test.run();
