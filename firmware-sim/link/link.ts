// The fault-injecting link: a user-space TCP proxy between a client (for example the
// mirror) and a target (for example the central Kafka cluster) that can cap bandwidth,
// add delay, cut every connection and black-hole traffic, on a schedule, at random or on
// demand. The kernel here has no netem, so this is how tests and demos get a bad uplink.
//
// One link may carry several routes, each a listening address forwarded to its own target:
// a device's one uplink carries its connections to every broker of a cluster, so they
// share the cap and fail together.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { TributaryError } from '../../shared/errors.ts';
import { formatHostPort, parseHostPort, type HostPort } from './address.ts';
import { FaultSchedule, type FaultScheduleOptions } from './fault-schedule.ts';
import { Pipe, type PipeContext } from './pipe.ts';
import { TokenBucket } from './token-bucket.ts';
import { startControlServer, type ControlServer } from './control.ts';

/** Connections proxied at once by default; each holds two sockets and two buffers. */
export const CONNECTIONS_MAX_DEFAULT = 1_024;
/**
 * Bytes one direction of one connection may hold by default before its source is paused.
 * It must cover the bandwidth-delay product of the shaped link, or the link itself, not
 * the cap, limits throughput: 1 MiB covers 10 MB/s at 100 ms.
 */
export const PIPE_BUFFER_BYTES_DEFAULT = 1 << 20;
/** A target that does not accept a connection within this time is treated as unreachable. */
const TARGET_CONNECT_TIMEOUT_MS = 10_000;
/** Added delay at most: a longer one is a black hole, which has its own switch. */
const LATENCY_MS_MAX = 60_000;

export type LinkState = 'up' | 'cut' | 'blackhole';
export type Direction = 'upstream' | 'downstream';

export interface LinkShape {
  /** Cap per direction in bytes per second; null removes the cap. */
  bandwidthBytesPerSecond?: number | null;
  /** Added delay per chunk, in milliseconds. */
  latencyMs?: number;
}

export interface LinkOptions extends LinkShape {
  /** Where clients connect; port 0 picks a free port. */
  listen: HostPort | string;
  /** Where connections are forwarded. */
  target: HostPort | string;
  /** More routes through the same link (one per broker of a cluster), sharing its cap and its faults. */
  routes?: readonly { listen: HostPort | string; target: HostPort | string }[];
  /** Address of the HTTP control interface; none when absent. */
  control?: HostPort | string;
  /** Cut every connection on a fixed period or at random; `forMs` is how long each cut lasts. */
  cuts?: FaultScheduleOptions;
  /** Black-hole traffic on a fixed period or at random. */
  blackholes?: FaultScheduleOptions;
  connectionsMax?: number;
  /** Bytes one direction of one connection may hold before its source is paused. */
  pipeBufferBytesMax?: number;
  /** Seed of the random schedules, so a run can be repeated. */
  seed?: number;
}

export interface LinkStats {
  state: LinkState;
  bandwidthBytesPerSecond: number | null;
  latencyMs: number;
  /** Bytes delivered from clients to the target. */
  bytesUpstream: number;
  /** Bytes delivered from the target to clients. */
  bytesDownstream: number;
  /** Bytes read and not yet delivered, over all connections. */
  bytesQueued: number;
  /** The most one direction of one connection ever held (its queue and its destination's socket buffer). */
  pipeBufferedBytesPeak: number;
  /** Times a source socket was paused because its pipe was full. */
  backpressurePauses: number;
  connectionsOpen: number;
  connectionsAccepted: number;
  /** Connections refused because the link was cut or full. */
  connectionsRefused: number;
  /** Connections that could not reach the target. */
  targetErrors: number;
  cuts: number;
  blackholes: number;
}

export interface LinkEvents {
  connection: [{ id: number; remote: string }];
  disconnection: [{ id: number }];
  cut: [{ durationMs: number | null }];
  blackhole: [{ durationMs: number | null }];
  restore: [];
  backpressure: [{ id: number; direction: Direction; bufferedBytes: number }];
}

export interface LinkRoute {
  /** The address clients connect to, with the port actually bound. */
  listen: HostPort;
  target: HostPort;
}

export interface Link extends EventEmitter<LinkEvents> {
  /** The address clients connect to, with the port actually bound (the first route's). */
  readonly listen: HostPort;
  readonly target: HostPort;
  /** Every route: the first is listen → target, then the `routes` option's, in order. */
  readonly routes: readonly LinkRoute[];
  /** The control interface's address, when one was asked for. */
  readonly control: HostPort | null;
  /** Closes every connection and refuses new ones for `durationMs`, or until `restore`. */
  cut(durationMs?: number): void;
  /** Keeps connections open but moves no bytes for `durationMs`, or until `restore`. */
  blackhole(durationMs?: number): void;
  /** Ends any cut or black hole now. */
  restore(): void;
  /** Changes the bandwidth cap or latency at run time. */
  shape(shape: LinkShape): void;
  stats(): LinkStats;
  close(): Promise<void>;
}

export async function createLink(options: LinkOptions): Promise<Link> {
  const link = new FaultInjectingLink(options);
  await link.start(options.control);
  return link;
}

class ProxiedConnection {
  readonly id: number;
  readonly client: net.Socket;
  readonly target: net.Socket;
  readonly upstream: Pipe;
  readonly downstream: Pipe;

  constructor(id: number, client: net.Socket, target: net.Socket, upstream: Pipe, downstream: Pipe) {
    this.id = id;
    this.client = client;
    this.target = target;
    this.upstream = upstream;
    this.downstream = downstream;
  }

  /** Tears both sides down with a reset, as a broken path does to a TCP connection. */
  reset(): void {
    this.upstream.close();
    this.downstream.close();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    // A target still connecting cannot be reset; destroy it instead.
    if (!this.target.destroyed) {
      if (this.target.connecting) this.target.destroy();
      else this.target.resetAndDestroy();
    }
  }
}

class FaultInjectingLink extends EventEmitter<LinkEvents> implements Link {
  readonly routes: LinkRoute[];
  control: HostPort | null = null;
  readonly #servers: net.Server[];
  readonly #connections = new Map<number, ProxiedConnection>();
  readonly #buckets: Record<Direction, TokenBucket | null> = { upstream: null, downstream: null };
  #latencyMs = 0;
  readonly #connectionsMax: number;
  readonly #pipeBufferBytesMax: number;
  #cutUntilMs: number | null = null;
  #blackholeUntilMs: number | null = null;
  #cutTimer: NodeJS.Timeout | null = null;
  #blackholeTimer: NodeJS.Timeout | null = null;
  readonly #schedules: FaultSchedule[] = [];
  #controlServer: ControlServer | null = null;
  #nextConnectionId = 1;
  #closed = false;
  readonly #counters = {
    bytesUpstream: 0,
    bytesDownstream: 0,
    pipeBufferedBytesPeak: 0,
    backpressurePauses: 0,
    connectionsAccepted: 0,
    connectionsRefused: 0,
    targetErrors: 0,
    cuts: 0,
    blackholes: 0,
  };
  readonly #seed: number;

  constructor(options: LinkOptions) {
    super();
    const address = (value: HostPort | string, option: string): HostPort => (typeof value === 'string' ? parseHostPort(value, option) : value);
    this.routes = [
      { listen: address(options.listen, '--listen'), target: address(options.target, '--target') },
      ...(options.routes ?? []).map((route) => ({ listen: address(route.listen, '--route'), target: address(route.target, '--route') })),
    ];
    this.#connectionsMax = positiveInteger(options.connectionsMax ?? CONNECTIONS_MAX_DEFAULT, '--connections-max');
    this.#pipeBufferBytesMax = positiveInteger(options.pipeBufferBytesMax ?? PIPE_BUFFER_BYTES_DEFAULT, '--buffer-bytes');
    this.#seed = options.seed ?? Date.now();
    this.shape(options);
    if (options.cuts !== undefined) {
      this.#schedules.push(new FaultSchedule('cut', options.cuts, this.#seed, (durationMs) => this.cut(durationMs)));
    }
    if (options.blackholes !== undefined) {
      // A different seed, so cuts and black holes do not fall at the same moments.
      this.#schedules.push(new FaultSchedule('blackhole', options.blackholes, this.#seed + 1, (durationMs) => this.blackhole(durationMs)));
    }
    // allowHalfOpen: a client that shuts down its sending side still gets the reply.
    this.#servers = this.routes.map((route) => net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket, route.target)));
  }

  get listen(): HostPort {
    return this.routes[0]!.listen;
  }

  get target(): HostPort {
    return this.routes[0]!.target;
  }

  async start(control: HostPort | string | undefined): Promise<void> {
    for (const [index, server] of this.#servers.entries()) {
      const route = this.routes[index]!;
      try {
        await new Promise<void>((resolve, reject) => {
          const onError = (error: Error): void => {
            reject(new TributaryError('LISTEN_FAILED', `link cannot listen on ${formatHostPort(route.listen)}: ${error.message}`, { address: formatHostPort(route.listen) }, { cause: error }));
          };
          server.once('error', onError);
          server.listen(route.listen.port, route.listen.host, () => {
            server.off('error', onError);
            resolve();
          });
        });
      } catch (error) {
        await this.close();
        throw error;
      }
      route.listen = { host: route.listen.host, port: (server.address() as net.AddressInfo).port };
    }
    if (control !== undefined) {
      const controlAddress = typeof control === 'string' ? parseHostPort(control, '--control') : control;
      try {
        this.#controlServer = await startControlServer(this, controlAddress);
      } catch (error) {
        await this.close();
        throw error;
      }
      this.control = this.#controlServer.address;
    }
    for (const schedule of this.#schedules) schedule.start();
  }

  state(): LinkState {
    if (this.#cutUntilMs !== null) return 'cut';
    if (this.#blackholeUntilMs !== null) return 'blackhole';
    return 'up';
  }

  cut(durationMs?: number): void {
    if (this.#closed) return;
    const untilMs = untilFor(durationMs, 'cut');
    this.#cutUntilMs = this.#cutUntilMs === null ? untilMs : Math.max(this.#cutUntilMs, untilMs);
    this.#counters.cuts += 1;
    this.#cutTimer = rearm(this.#cutTimer, this.#cutUntilMs, () => this.#endCut());
    for (const connection of this.#connections.values()) connection.reset();
    this.emit('cut', { durationMs: durationMs ?? null });
  }

  blackhole(durationMs?: number): void {
    if (this.#closed) return;
    const untilMs = untilFor(durationMs, 'black hole');
    this.#blackholeUntilMs = this.#blackholeUntilMs === null ? untilMs : Math.max(this.#blackholeUntilMs, untilMs);
    this.#counters.blackholes += 1;
    this.#blackholeTimer = rearm(this.#blackholeTimer, this.#blackholeUntilMs, () => this.#endBlackhole());
    this.emit('blackhole', { durationMs: durationMs ?? null });
  }

  restore(): void {
    const wasDown = this.state() !== 'up';
    this.#clearCut();
    this.#clearBlackhole();
    if (wasDown) this.#restored();
  }

  shape(shape: LinkShape): void {
    if (shape.bandwidthBytesPerSecond !== undefined) {
      const rate = shape.bandwidthBytesPerSecond;
      if (rate === null || rate === 0) {
        for (const direction of ['upstream', 'downstream'] as const) {
          this.#buckets[direction]?.close();
          this.#buckets[direction] = null;
        }
      } else {
        positiveNumber(rate, '--bandwidth');
        for (const direction of ['upstream', 'downstream'] as const) {
          const bucket = this.#buckets[direction];
          if (bucket === null) this.#buckets[direction] = new TokenBucket(rate);
          else bucket.setRate(rate);
        }
      }
    }
    if (shape.latencyMs !== undefined) {
      if (!Number.isFinite(shape.latencyMs) || shape.latencyMs < 0 || shape.latencyMs > LATENCY_MS_MAX) {
        throw new TributaryError('LINK_OPTION_INVALID', `--latency: ${shape.latencyMs} ms is outside 0..${LATENCY_MS_MAX} ms`, { option: '--latency', value: shape.latencyMs });
      }
      this.#latencyMs = shape.latencyMs;
    }
    this.#wakeAll();
  }

  stats(): LinkStats {
    let bytesQueued = 0;
    let peak = this.#counters.pipeBufferedBytesPeak;
    for (const connection of this.#connections.values()) {
      bytesQueued += connection.upstream.queuedBytes + connection.downstream.queuedBytes;
      peak = Math.max(peak, connection.upstream.bufferedBytesPeak, connection.downstream.bufferedBytesPeak);
    }
    return {
      state: this.state(),
      bandwidthBytesPerSecond: this.#buckets.upstream?.bytesPerSecond ?? null,
      latencyMs: this.#latencyMs,
      bytesUpstream: this.#counters.bytesUpstream,
      bytesDownstream: this.#counters.bytesDownstream,
      bytesQueued,
      pipeBufferedBytesPeak: peak,
      backpressurePauses: this.#counters.backpressurePauses,
      connectionsOpen: this.#connections.size,
      connectionsAccepted: this.#counters.connectionsAccepted,
      connectionsRefused: this.#counters.connectionsRefused,
      targetErrors: this.#counters.targetErrors,
      cuts: this.#counters.cuts,
      blackholes: this.#counters.blackholes,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const schedule of this.#schedules) schedule.stop();
    this.#clearCut();
    this.#clearBlackhole();
    for (const connection of this.#connections.values()) connection.reset();
    for (const bucket of Object.values(this.#buckets)) bucket?.close();
    const serversClosed = this.#servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())));
    await Promise.all([...serversClosed, this.#controlServer?.close()]);
  }

  #accept(client: net.Socket, targetAddress: HostPort): void {
    if (this.#closed || this.#cutUntilMs !== null || this.#connections.size >= this.#connectionsMax) {
      this.#counters.connectionsRefused += 1;
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    const id = this.#nextConnectionId++;
    this.#counters.connectionsAccepted += 1;
    client.setNoDelay(true);
    const target = net.connect({ host: targetAddress.host, port: targetAddress.port, allowHalfOpen: true, noDelay: true, timeout: TARGET_CONNECT_TIMEOUT_MS });
    let targetConnected = false;
    target.once('connect', () => {
      targetConnected = true;
      target.setTimeout(0);
    });
    target.once('timeout', () => target.destroy(new Error(`target ${formatHostPort(targetAddress)} did not accept within ${TARGET_CONNECT_TIMEOUT_MS} ms`)));
    const upstream = new Pipe(client, target, this.#pipeContext(id, 'upstream'));
    const downstream = new Pipe(target, client, this.#pipeContext(id, 'downstream'));
    const connection = new ProxiedConnection(id, client, target, upstream, downstream);
    this.#connections.set(id, connection);
    const remote = `${client.remoteAddress ?? '?'}:${client.remotePort ?? '?'}`;

    let ended = false;
    const finish = (): void => {
      if (ended) return;
      ended = true;
      const upstreamPeak = upstream.bufferedBytesPeak;
      const downstreamPeak = downstream.bufferedBytesPeak;
      this.#counters.pipeBufferedBytesPeak = Math.max(this.#counters.pipeBufferedBytesPeak, upstreamPeak, downstreamPeak);
      upstream.close();
      downstream.close();
      this.#connections.delete(id);
      this.emit('disconnection', { id });
    };
    // An error on either side breaks the whole connection, as it would end to end.
    client.on('error', () => connection.reset());
    target.on('error', () => {
      if (!targetConnected) this.#counters.targetErrors += 1;
      connection.reset();
    });
    // A side that closed without finishing cleanly (no FIN read) takes the other with it.
    const onClose = (socket: net.Socket, other: net.Socket) => (hadError: boolean): void => {
      if (hadError || !socket.readableEnded) {
        if (!other.destroyed) connection.reset();
      }
      if (client.destroyed && target.destroyed) finish();
    };
    client.on('close', onClose(client, target));
    target.on('close', onClose(target, client));
    this.emit('connection', { id, remote });
  }

  #pipeContext(id: number, direction: Direction): PipeContext {
    return {
      bucket: () => this.#buckets[direction],
      latencyMs: () => this.#latencyMs,
      blackholed: () => this.#blackholeUntilMs !== null,
      bufferBytesMax: () => this.#pipeBufferBytesMax,
      delivered: (bytes) => {
        if (direction === 'upstream') this.#counters.bytesUpstream += bytes;
        else this.#counters.bytesDownstream += bytes;
      },
      backpressure: (bufferedBytes) => {
        this.#counters.backpressurePauses += 1;
        this.emit('backpressure', { id, direction, bufferedBytes });
      },
    };
  }

  #endCut(): void {
    const wasDown = this.state() !== 'up';
    this.#clearCut();
    if (wasDown && this.state() === 'up') this.#restored();
  }

  #endBlackhole(): void {
    const wasBlackholed = this.#blackholeUntilMs !== null;
    this.#clearBlackhole();
    if (wasBlackholed && this.state() === 'up') this.#restored();
  }

  #clearCut(): void {
    if (this.#cutTimer !== null) clearTimeout(this.#cutTimer);
    this.#cutTimer = null;
    this.#cutUntilMs = null;
  }

  #clearBlackhole(): void {
    if (this.#blackholeTimer !== null) clearTimeout(this.#blackholeTimer);
    this.#blackholeTimer = null;
    this.#blackholeUntilMs = null;
  }

  #restored(): void {
    this.#wakeAll();
    this.emit('restore');
  }

  #wakeAll(): void {
    for (const connection of this.#connections.values()) {
      connection.upstream.wake();
      connection.downstream.wake();
    }
  }
}

/** The moment a fault of `durationMs` ends; Infinity when it lasts until `restore`. */
function untilFor(durationMs: number | undefined, what: string): number {
  if (durationMs === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isFinite(durationMs) || durationMs <= 0) {
    throw new TributaryError('LINK_OPTION_INVALID', `a ${what} needs a positive duration in ms, not ${durationMs}`, { durationMs });
  }
  return performance.now() + durationMs;
}

function rearm(timer: NodeJS.Timeout | null, untilMs: number, onEnd: () => void): NodeJS.Timeout | null {
  if (timer !== null) clearTimeout(timer);
  if (untilMs === Number.POSITIVE_INFINITY) return null;
  return setTimeout(onEnd, Math.max(1, Math.ceil(untilMs - performance.now())));
}

function positiveInteger(value: number, option: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TributaryError('LINK_OPTION_INVALID', `${option}: ${value} is not a positive integer`, { option, value });
  }
  return value;
}

function positiveNumber(value: number, option: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TributaryError('LINK_OPTION_INVALID', `${option}: ${value} is not a positive number`, { option, value });
  }
  return value;
}
