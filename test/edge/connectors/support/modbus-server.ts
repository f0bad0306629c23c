// A real Modbus TCP server for the Modbus source's tests: pymodbus (from PyPI, in the
// virtual environment `npm run interop:prepare` makes), run from
// test/edge/connectors/python/modbus_server.py. The test sets register values through its
// standard input, and stops it with SIGKILL to play a PLC that drops off the network.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { CONNECTOR_PEER_SCRIPTS, interopClientPaths, PREPARE_COMMAND } from '../../../../scripts/interop-clients.ts';

/** pymodbus starts in well under a second; generous for a loaded machine. */
const READY_TIMEOUT_MS = 30_000;

export type ModbusTable = 'holding' | 'input' | 'coil' | 'discrete';

/** A TCP port free at the moment of asking (the Python server binds it next). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class ModbusServer {
  readonly port: number;
  readonly unitId: number;
  #process: ChildProcess | undefined;
  #lines: Interface | undefined;
  #answers: string[] = [];
  #waiting: ((line: string) => void)[] = [];

  private constructor(port: number, unitId: number) {
    this.port = port;
    this.unitId = unitId;
  }

  static async start(unitId = 1, port?: number): Promise<ModbusServer> {
    const server = new ModbusServer(port ?? (await freePort()), unitId);
    await server.restart();
    return server;
  }

  /** Starts the server (again) on its port; register values start at zero. */
  async restart(): Promise<void> {
    const python = interopClientPaths().connectorPeersPython;
    if (!existsSync(python)) throw new Error(`pymodbus is not prepared (no ${python}); run \`${PREPARE_COMMAND}\` first (it needs Python 3 with venv)`);
    const child = spawn(python, [join(CONNECTOR_PEER_SCRIPTS, 'modbus_server.py'), String(this.port), String(this.unitId)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk) => { stderr += chunk; });
    this.#process = child;
    this.#answers = [];
    this.#waiting = [];
    this.#lines = createInterface({ input: child.stdout! });
    this.#lines.on('line', (line) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(line);
      else this.#answers.push(line);
    });
    let started = false;
    const exited = new Promise<never>((_, reject) => child.once('exit', () => { if (!started) reject(new Error(`the Modbus server exited before it was ready:\n${stderr}`)); }));
    const timeout = new Promise<never>((_, reject) => setTimeout(() => { if (!started) reject(new Error(`the Modbus server was not ready within ${READY_TIMEOUT_MS} ms:\n${stderr}`)); }, READY_TIMEOUT_MS).unref());
    const line = await Promise.race([this.#nextLine(), exited, timeout]);
    started = true;
    if (line !== 'ready') throw new Error(`the Modbus server said "${line}" instead of ready:\n${stderr}`);
  }

  #nextLine(): Promise<string> {
    const ready = this.#answers.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Sets consecutive items of a table from `address` on; resolves once the server has them. */
  async set(table: ModbusTable, address: number, values: number[]): Promise<void> {
    this.#process!.stdin!.write(`set ${table} ${address} ${values.join(',')}\n`);
    const answer = await this.#nextLine();
    if (answer !== 'ok') throw new Error(`the Modbus server answered "${answer}" to a set`);
  }

  /** SIGKILL: the PLC is gone at once, its connections reset. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
    this.#lines?.close();
  }
}
