// The Modbus TCP source inside `tributary edge`, against a real Modbus TCP server
// (pymodbus): the README's YAML, every value format and order, a PLC that drops off the
// network and comes back, and a SIGKILL of the daemon (a record per poll slot at most,
// the records before the crash kept).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../helpers/daemon.ts';
import { readPartition } from '../kafka/clients/support/log-reader.ts';
import { ModbusServer } from './support/modbus-server.ts';
import { connectorMetric, connectorStatus, eventually } from './support/records.ts';

interface Reading { key: string; value: Record<string, unknown>; slotMs: number; timestamp: bigint }

async function readings(daemon: Daemon, topic = 'plc-readings'): Promise<Reading[]> {
  const stored = await readPartition(daemon.ports.kafka!, topic, 0).catch(() => ({ records: [] }));
  return stored.records.map((record) => ({
    key: record.key!.toString(),
    value: JSON.parse(record.value!.toString()) as Record<string, unknown>,
    slotMs: (JSON.parse(record.headers.find((header) => header.key === 'connector.position')!.value!.toString()) as { slotMs: number }).slotMs,
    timestamp: record.timestamp,
  }));
}

function plc(server: ModbusServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'plc-1', type: 'modbus-tcp', host: '127.0.0.1', port: server.port, unitId: server.unitId, pollMs: 100, retryBackoffMinMs: 50, retryBackoffMaxMs: 400, registers: [{ name: 'temp', address: 0, type: 'holding', format: 'int16' }], to: 'plc-readings', ...extra };
}

test('the README\'s YAML appends a record per poll, {"temp": 215}, keyed by the connector', async () => {
  const server = await ModbusServer.start(1);
  await server.set('holding', 0, [215]);
  // Exactly the README's keys; only the port is this test's.
  const daemon = await Daemon.start({ config: { connectors: [{ name: 'plc-1', type: 'modbus-tcp', host: '127.0.0.1', port: server.port, unitId: 1, pollMs: 1000, registers: [{ name: 'temp', address: 0, type: 'holding', format: 'int16' }], to: 'plc-readings' }] } });
  try {
    const [first] = await eventually(() => readings(daemon), (found) => found.length >= 1, 'a first poll');
    assert.is(first!.key, 'plc-1');
    assert.equal(first!.value, { temp: 215 });
    assert.is(first!.slotMs % 1000, 0, 'polls fall on pollMs slots');
    await server.set('holding', 0, [216]);
    await eventually(() => readings(daemon), (found) => found.some((reading) => reading.value.temp === 216), 'the new value in a later poll');
    assert.is(await connectorMetric(daemon, 'tributary_connector_state', 'plc-1', { state: 'running' }), 1);
  } finally {
    await daemon.cleanup();
    await server.kill();
  }
});

test('every format, byte order and word order, from holding and input registers, coils and discrete inputs', async () => {
  const server = await ModbusServer.start(7);
  await server.set('holding', 0, [0xfffb, 0xffff, 0x075b, 0xcd15, 0x0000, 0x41ac, 0x3412]);
  await server.set('holding', 10, [0xffff, 0xffff, 0xffff, 0xfffe, 0x3ff8, 0, 0, 0]);
  await server.set('input', 3, [0x15cd, 0x5b07]);
  await server.set('coil', 2, [1]);
  await server.set('discrete', 9, [1]);
  const daemon = await Daemon.start({ config: { connectors: [plc(server, {
    to: 'plc-formats',
    registers: [
      { name: 'int16', address: 0, format: 'int16' },
      { name: 'uint16', address: 1, format: 'uint16' },
      { name: 'int32', address: 2, format: 'int32' },
      { name: 'float32LowWordFirst', address: 4, format: 'float32', wordOrder: 'little' },
      { name: 'uint16BytesSwapped', address: 6, format: 'uint16', byteOrder: 'little' },
      { name: 'int64', address: 10, format: 'int64' },
      { name: 'uint64', address: 10, format: 'uint64' },
      { name: 'float64', address: 14, format: 'float64' },
      { name: 'inputInt32LittleLittle', address: 3, type: 'input', format: 'int32', byteOrder: 'little', wordOrder: 'little' },
      { name: 'coil', address: 2, type: 'coil', format: 'bool' },
      { name: 'discrete', address: 9, type: 'discrete', format: 'bool' },
      { name: 'discreteOff', address: 8, type: 'discrete', format: 'bool' },
    ],
  })] } });
  try {
    const [reading] = await eventually(() => readings(daemon, 'plc-formats'), (found) => found.length >= 1, 'a poll');
    assert.equal(reading!.value, {
      int16: -5, uint16: 65535, int32: 123456789, float32LowWordFirst: 21.5, uint16BytesSwapped: 0x1234,
      int64: -2, uint64: '18446744073709551614', float64: 1.5, inputInt32LittleLittle: 123456789,
      coil: true, discrete: true, discreteOff: false,
    });
  } finally {
    await daemon.cleanup();
    await server.kill();
  }
});

test('a PLC that drops off the network: the connector retries with backoff, says why, and polls again when it is back', async () => {
  const server = await ModbusServer.start(1);
  await server.set('holding', 0, [100]);
  const daemon = await Daemon.start({ config: { connectors: [plc(server)] } });
  try {
    await eventually(() => readings(daemon), (found) => found.length >= 2, 'polls before the outage');
    await server.kill();
    const down = await eventually(() => connectorStatus(daemon, 'plc-1'), (status) => status.state === 'retrying', 'the connector notices');
    assert.match(down.lastError!.message, /Modbus TCP 127\.0\.0\.1:\d+/, JSON.stringify(down.lastError));
    await eventually(() => connectorMetric(daemon, 'tributary_connector_errors_total', 'plc-1', { kind: 'connect' }), (count) => (count ?? 0) >= 2, 'refused reconnections counted');
    await server.restart();
    await server.set('holding', 0, [101]);
    await eventually(() => readings(daemon), (found) => found.some((reading) => reading.value.temp === 101), 'polls after the PLC is back');
    await eventually(() => connectorStatus(daemon, 'plc-1'), (status) => status.state === 'running', 'running again');
    assert.ok((await connectorMetric(daemon, 'tributary_connector_reconnects_total', 'plc-1'))! >= 2);
    const slots = (await readings(daemon)).map((reading) => reading.slotMs);
    assert.ok(slots.every((slot, index) => index === 0 || slot > slots[index - 1]!), 'one record per slot, in order');
  } finally {
    await daemon.cleanup();
    await server.kill();
  }
});

test('SIGKILL: the polls appended before the crash are kept, and after the restart no slot gets a second record', async () => {
  const server = await ModbusServer.start(1);
  await server.set('holding', 0, [7]);
  const config = { connectors: [plc(server, { pollMs: 50 })] };
  let daemon = await Daemon.start({ config });
  try {
    await eventually(() => readings(daemon), (found) => found.length >= 10, 'polls before the crash');
    await daemon.kill();
    daemon = await daemon.restart({ config });
    const before = await readings(daemon);
    assert.ok(before.length >= 10, `the ${before.length} polls acknowledged before the crash are in the log`);
    await eventually(() => readings(daemon), (found) => found.length >= before.length + 5, 'polls after the restart');
    const slots = (await readings(daemon)).map((reading) => reading.slotMs);
    assert.ok(slots.every((slot, index) => index === 0 || slot > slots[index - 1]!), `slots strictly increase across the restart: ${slots.join(',')}`);
  } finally {
    await daemon.cleanup();
    await server.kill();
  }
});

test('a register list that cannot be read stops the daemon at start, naming the register', async () => {
  const server = await ModbusServer.start(1);
  try {
    const failure = await Daemon.start({ config: { connectors: [plc(server, { registers: [{ name: 'flag', address: 0, type: 'coil', format: 'int16' }] })] } }).then(async (daemon) => { await daemon.cleanup(); return undefined; }, (error: Error) => error);
    assert.ok(failure, 'the daemon must not start');
    assert.match(failure!.message, /registers\[0\] \(flag\): coil values are bool/);
  } finally {
    await server.kill();
  }
});

test.run();
