// Shared by the exhaustion tests: a daemon with every listener on (Kafka plain and TLS,
// MQTT, MQTTS, MQTT over WebSocket, the HTTP admin port), raw sockets that connect and then
// do what a well-behaved client never does, and waits on the daemon's metrics.
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { Daemon, metricValue, type DaemonOptions } from '../../helpers/daemon.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../../helpers/certificates.ts';
import { waitFor } from '../../mirror/cluster.ts';
import { socketClosed } from '../../helpers/socket-closed.ts';

/** Bound on how long a test waits for the daemon to reach a state; generous for a loaded machine, it only catches hangs. */
export const WAIT_MS = 60_000;

export type ListenerName = 'kafka' | 'kafkaTls' | 'mqtt' | 'mqtts' | 'mqttWs' | 'http';

/** A daemon with all six listeners on ephemeral ports; `config` is merged over it. */
export function startDaemonWithEveryListener(config: Record<string, unknown> = {}, options: Omit<DaemonOptions, 'config'> = {}): Promise<Daemon> {
  const tls = { enabled: true, host: '127.0.0.1', port: 0, certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY };
  return Daemon.start({ ...options, config: { listeners: { kafkaTls: tls, mqtts: tls }, ...config } });
}

export function portOf(daemon: Daemon, listener: ListenerName): number {
  const port = daemon.ports[listener];
  if (port === undefined) throw new Error(`the daemon has no ${listener} listener`);
  return port;
}

/** A raw TCP connection; its `closed` resolves when either side closes it. */
export interface RawSocket {
  socket: Socket;
  closed: Promise<void>;
}

export async function openSocket(port: number): Promise<RawSocket> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => { /* a reset by the broker is seen as 'close' */ });
  const closed = socketClosed(socket);
  await Promise.race([once(socket, 'connect'), closed]);
  return { socket, closed };
}

/** Opens `count` raw connections one after the other, as a flood does. */
export async function openSockets(port: number, count: number): Promise<RawSocket[]> {
  const sockets: RawSocket[] = [];
  for (let index = 0; index < count; index++) sockets.push(await openSocket(port));
  return sockets;
}

export async function closeSockets(sockets: readonly RawSocket[]): Promise<void> {
  for (const { socket } of sockets) socket.destroy();
  await Promise.all(sockets.map(({ closed }) => closed));
}

/** Waits until a counter or gauge of the daemon satisfies `accept`; returns its value. */
export function waitForMetric(daemon: Daemon, name: string, labels: Record<string, string>, accept: (value: number) => boolean, what: string): Promise<number> {
  return waitFor(what, async () => {
    const value = metricValue(await daemon.metrics(), name, labels) ?? 0;
    return accept(value) ? value : undefined;
  }, WAIT_MS);
}

/** The count of a listener's refused or closed connections for `reason`, 0 before the first. */
export async function listenerCount(daemon: Daemon, kind: 'refused' | 'closed', listener: ListenerName, reason: string): Promise<number> {
  return metricValue(await daemon.metrics(), `tributary_listener_${kind}_connections_total`, { listener, reason }) ?? 0;
}

/**
 * Runs `serve` (what well-behaved clients do meanwhile) again and again, at least once, until
 * `done` holds; fails if it does not hold within WAIT_MS. Returns the rounds served.
 */
export async function serveUntil(what: string, done: () => Promise<boolean>, serve: () => Promise<void>): Promise<number> {
  const deadline = Date.now() + WAIT_MS;
  let rounds = 0;
  do {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await serve();
    rounds++;
  } while (!(await done()));
  return rounds;
}
