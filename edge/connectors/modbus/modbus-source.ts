// Modbus TCP source: polls a PLC's registers on a schedule and appends one record per
// poll, its value a JSON object with a field per configured value ({"temp": 215}), keyed
// by the connector's name, timestamped at the poll.
//
// Polls happen in fixed time slots of pollMs (slots begin at multiples of pollMs since the
// Unix epoch), and the slot of the last record is the connector's position in the log
// (runtime/source-output.ts). So there is at most one record per slot, also across a
// crash and restart within one slot, and a missed slot (the PLC away, the daemon down)
// shows as a gap in the slots. A register's history does not exist on the PLC: what was
// not polled is not read later.
//
// Any failure (refused connection, timeout, a Modbus exception answer) ends the session:
// it is logged with the Modbus exception's name, counted, and the runtime connects again
// after its backoff. The connection is opened anew each time, as a PLC or gateway that
// answered garbage may have lost track of the transaction ids.
import modbusSerial from 'modbus-serial';
import type { ModbusTcpConfig } from '../../../shared/config/connectors-schema.ts';
import { waitUnlessAborted } from '../runtime/backoff.ts';
import { peerFailure, withTimeout } from '../runtime/connector-runtime.ts';
import { sourceConnector, type ConnectorFactory, type SourceSession } from '../runtime/connector-kinds.ts';
import { decodeRegisters, type RegisterValue } from './register-decoding.ts';
import { planReads, type PlannedRead } from './register-plan.ts';

// The package is CommonJS and its module.exports is the client class; its types describe an ES default export instead.
const ModbusClient = modbusSerial as unknown as typeof modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusClient>;

export interface ModbusPosition {
  /** When the time slot of the last record began (a multiple of pollMs, in ms since the Unix epoch). */
  slotMs: number;
}

/** How long closing a connection may take before the socket is simply destroyed. */
const CLOSE_WAIT_MS = 1000;

/** Modbus exception codes (Modbus Application Protocol V1.1b3, 7), named in the log. */
const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export const modbusSource: ConnectorFactory<ModbusTcpConfig> = (config, deps) => {
  // Checked at start: a register list that cannot be read stops the daemon with the key at fault.
  const reads = planReads(config.registers, `connectors[name=${config.name}].registers`);
  return sourceConnector<ModbusPosition>(config, deps, { session: (session) => poll(config, reads, session) });
};

async function poll(config: ModbusTcpConfig, reads: PlannedRead[], session: SourceSession<ModbusPosition>): Promise<void> {
  const { output, signal } = session;
  const client = new ModbusClient();
  // A socket error between polls is also seen by the next request; it must not be an unhandled 'error' event.
  (client as unknown as NodeJS.EventEmitter).on?.('error', () => {});
  client.setTimeout(config.timeoutMs);
  try {
    try {
      await client.connectTCP(config.host, { port: config.port, timeout: config.timeoutMs });
    } catch (error) {
      throw peerFailure('connect', `Modbus TCP ${config.host}:${config.port}: cannot connect: ${describe(error)}`, error);
    }
    client.setID(config.unitId);
    // Slot numbers count pollMs since the epoch; the position keeps its start in ms, so a changed pollMs still compares.
    let lastSlot = output.position === undefined ? -1 : Math.floor(output.position.slotMs / config.pollMs);
    while (!signal.aborted) {
      // The next slot after the last record's; one already begun is polled at once.
      const slot = Math.max(lastSlot + 1, Math.floor(Date.now() / config.pollMs));
      const startsInMs = slot * config.pollMs - Date.now();
      if (startsInMs > 0 && !(await waitUnlessAborted(startsInMs, signal))) break;
      const polledAt = Date.now();
      const value = await readAll(client, config, reads);
      await output.append([{ value: JSON.stringify(value), timestampMs: polledAt, position: { slotMs: slot * config.pollMs } }]);
      lastSlot = slot;
      session.connected();
    }
  } finally {
    await closeClient(client);
  }
}

/** Closes the connection; modbus-serial never calls back when the peer has closed it already, so the wait is bounded. */
async function closeClient(client: ModbusRTU): Promise<void> {
  await withTimeout(new Promise<void>((resolve) => client.close(() => resolve())), CLOSE_WAIT_MS, 'closing').catch(() => {});
  try {
    client.destroy(() => {});
  } catch {
    // Already gone.
  }
}

async function readAll(client: ModbusRTU, config: ModbusTcpConfig, reads: PlannedRead[]): Promise<Record<string, RegisterValue>> {
  const value: Record<string, RegisterValue> = {};
  for (const read of reads) {
    let items: readonly (number | boolean)[];
    try {
      items = await request(client, read);
    } catch (error) {
      throw failureOf(error, config, read);
    }
    if (items.length < read.count) throw peerFailure('read', `Modbus TCP ${config.host}:${config.port} unit ${config.unitId}: ${read.table} ${read.address}..${read.address + read.count - 1} answered ${items.length} items instead of ${read.count}`);
    for (const planned of read.values) {
      const { register } = planned;
      const slice = items.slice(planned.index, planned.index + planned.count).map((item) => (typeof item === 'boolean' ? (item ? 1 : 0) : item));
      value[register.name] = decodeRegisters(slice, register.format, register.byteOrder, register.wordOrder);
    }
  }
  return value;
}

async function request(client: ModbusRTU, read: PlannedRead): Promise<readonly (number | boolean)[]> {
  switch (read.table) {
    case 'holding': return (await client.readHoldingRegisters(read.address, read.count)).data;
    case 'input': return (await client.readInputRegisters(read.address, read.count)).data;
    case 'coil': return (await client.readCoils(read.address, read.count)).data;
    case 'discrete': return (await client.readDiscreteInputs(read.address, read.count)).data;
  }
}

function failureOf(error: unknown, config: ModbusTcpConfig, read: PlannedRead): Error {
  const where = `Modbus TCP ${config.host}:${config.port} unit ${config.unitId}: reading ${read.table} ${read.address}..${read.address + read.count - 1}`;
  const modbusCode = (error as { modbusCode?: number }).modbusCode;
  if (modbusCode !== undefined) return peerFailure('read', `${where}: exception ${modbusCode} (${EXCEPTION_NAMES[modbusCode] ?? 'unknown'})`, error);
  const timedOut = (error as { errno?: string }).errno === 'ETIMEDOUT' || /timed out/i.test(describe(error));
  return peerFailure(timedOut ? 'timeout' : 'read', `${where}: ${timedOut ? `no answer within ${config.timeoutMs} ms` : describe(error)}`, error);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
