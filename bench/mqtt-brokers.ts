// The MQTT brokers the benchmarks put side by side, each started fresh in a process of its
// own: Tributary (`tributary edge`), mosquitto (Debian's, in memory) and bare aedes (in
// memory, the engine Tributary began with), behind one shape, so that bench:mqtt and
// bench:footprint measure the same three the same way. Also the runner of the roles in
// mqtt-roles.ts (publishers, subscribers, idle connections, the aedes broker), each a
// process that answers in JSON lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Daemon, type DaemonOptions } from '../test/helpers/daemon.ts';
import { requireProgram } from '../test/helpers/system-programs.ts';
import { mqttConnect, type Version } from './mqtt-roles.ts';

/** Bound on one answer of a role; a broker that stalls fails the run instead of hanging it. */
const ANSWER_TIMEOUT_MS = 120_000;
/** Pause between two tries to connect to a mosquitto that is still starting. */
const START_POLL_MS = 50;

export interface Child {
  process: ChildProcess;
  next(): Promise<Record<string, unknown>>;
  /** Ends its standard input (a role's signal to finish) and waits for it to exit. */
  finish(): Promise<void>;
}

export function child(command: string, args: string[]): Child {
  const process = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: Array<() => void> = [];
  let exited: string | undefined;
  createInterface({ input: process.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const waiter of waiters.splice(0)) waiter();
  });
  const closed = new Promise<void>((resolve) => process.once('close', (code, signal) => {
    exited = `exited ${code ?? signal}`;
    for (const waiter of waiters.splice(0)) waiter();
    resolve();
  }));
  return {
    process,
    async next() {
      const deadline = Date.now() + ANSWER_TIMEOUT_MS;
      while (lines.length === 0) {
        if (exited !== undefined) throw new Error(`${command} ${args.join(' ')} ${exited} without an answer`);
        if (Date.now() > deadline) throw new Error(`${command} ${args.join(' ')} gave no answer`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ANSWER_TIMEOUT_MS);
          waiters.push(() => { clearTimeout(timer); resolve(); });
        });
      }
      return lines.shift()!;
    },
    async finish() {
      process.stdin!.end();
      await closed;
    },
  };
}

/** A role of mqtt-roles.ts in a process of its own. */
export function role(name: string, ...args: Array<string | number>): Child {
  return child(globalThis.process.execPath, [join(import.meta.dirname, 'mqtt-roles.ts'), name, ...args.map(String)]);
}

export interface Broker {
  name: string;
  pid: number;
  port: number;
  versions: Version[];
  stop(): Promise<void>;
}

export async function startTributary(options: DaemonOptions = {}): Promise<Broker> {
  const daemon = await Daemon.start(options);
  // Stopped with SIGTERM, as a service manager stops it (a CPU profile is written then), then cleaned up.
  return { name: 'tributary (durable)', pid: daemon.process.pid!, port: daemon.ports.mqtt!, versions: [4, 5], stop: async () => { await daemon.stop(); await daemon.cleanup(); } };
}

export async function startAedes(): Promise<Broker> {
  const broker = role('aedes-broker');
  const ready = await broker.next();
  return {
    name: 'bare aedes (memory)',
    pid: broker.process.pid!,
    port: Number(ready.port),
    versions: [4],
    async stop() {
      broker.process.kill('SIGTERM');
      await new Promise((resolve) => broker.process.once('close', resolve));
    },
  };
}

/**
 * Mosquitto in memory; `inflight` is its max_inflight_messages and `queued` its
 * max_queued_messages, each set alike on every broker a benchmark compares.
 */
export async function startMosquitto(inflight: number, queued = 100_000): Promise<Broker> {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  // Find a free port, then let mosquitto bind it.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const config = join(directory, 'mosquitto.conf');
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nlog_dest none\nmax_inflight_messages ${inflight}\nmax_queued_messages ${queued}\n`);
  // Its log is not read: a pipe nobody drains would fill and stop mosquitto in mid-run.
  const mosquitto = spawn(requireProgram('mosquitto'), ['-c', config], { stdio: 'ignore' });
  // Ready once a client can connect.
  for (;;) {
    try {
      const { socket } = await mqttConnect(port, 'bench-probe', 4, () => {});
      socket.destroy();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, START_POLL_MS));
    }
  }
  return {
    name: 'mosquitto',
    pid: mosquitto.pid!,
    port,
    versions: [4, 5],
    async stop() {
      mosquitto.kill('SIGTERM');
      await new Promise((resolve) => mosquitto.once('close', resolve));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
