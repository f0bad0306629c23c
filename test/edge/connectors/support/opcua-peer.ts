// Runs opcua-server.ts (node-opcua's own server) as a child process for a test: start,
// set values, SIGKILL and start again on the same port with the same certificate.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './modbus-server.ts';

/** node-opcua makes its certificate on a first start, seconds on a loaded machine. */
const READY_TIMEOUT_MS = 60_000;
const SERVER_SCRIPT = join(import.meta.dirname, 'opcua-server.ts');

export class OpcUaPeer {
  readonly port: number;
  readonly pkiDirectory = mkdtempSync(join(tmpdir(), 'tributary-opcua-server-'));
  certificateFile = '';
  #process: ChildProcess | undefined;
  #answers: ((line: string) => void)[] = [];

  private constructor(port: number) {
    this.port = port;
  }

  get endpointUrl(): string {
    return `opc.tcp://127.0.0.1:${this.port}/UA/test`;
  }

  static async start(): Promise<OpcUaPeer> {
    const peer = new OpcUaPeer(await freePort());
    await peer.restart();
    return peer;
  }

  async restart(): Promise<void> {
    const child = spawn(process.execPath, [SERVER_SCRIPT, String(this.port), this.pkiDirectory], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#process = child;
    let output = '';
    child.stderr!.on('data', (chunk) => { output += chunk; });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the OPC UA server was not ready within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the OPC UA server exited (${code}) before it was ready:\n${output}`)); });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!line.startsWith('peer ')) return;
        const message = line.slice('peer '.length);
        if (message.startsWith('{')) {
          this.certificateFile = (JSON.parse(message) as { certificateFile: string }).certificateFile;
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve();
        } else {
          this.#answers.shift()?.(message);
        }
      });
    });
    await ready;
  }

  /** Sets a variable (Temperature, Running, Counter) on the server; resolves once it is set. */
  async set(name: string, value: number | boolean): Promise<void> {
    const answered = new Promise<string>((resolve) => this.#answers.push(resolve));
    this.#process!.stdin!.write(`set ${name} ${value}\n`);
    if ((await answered) !== 'ok') throw new Error(`the OPC UA server did not set ${name}`);
  }

  async kill(): Promise<void> {
    const child = this.#process;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  async cleanup(): Promise<void> {
    await this.kill();
    rmSync(this.pkiDirectory, { recursive: true, force: true });
  }
}
