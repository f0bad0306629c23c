// One simulated device: an MQTT client that publishes readings at a rate with jitter,
// sometimes in bursts, sometimes not at all for a while, with its own skewed clock; that
// keeps a persistent session across reconnects; and that answers every command it gets.
// It counts what the broker acknowledged, by sequence number, so nothing can go missing
// unnoticed.
import net from 'node:net';
import tls from 'node:tls';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { MqttClient, type IClientOptions, type IPublishPacket } from 'mqtt';
import { encodeCbor, encodeJson, decodePayloadToJson, type PayloadFormat } from '../../shared/payloads.ts';
import { encodeReading } from '../payloads.ts';
import type { Random } from '../random.ts';
import { SensorModel } from './readings.ts';
import { SequenceSet, type SequenceRange } from './sequence-set.ts';

/** How far a device may fall behind its schedule and still catch up, in milliseconds. */
const SCHEDULE_BACKLOG_MS_MAX = 1_000;

export type QoS = 0 | 1 | 2;

export interface BrokerAddress {
  protocol: 'mqtt' | 'mqtts';
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** For mqtts: extra trusted certificates (PEM), and whether to check the server's certificate. */
  ca?: string;
  rejectUnauthorized?: boolean;
}

export interface BurstOptions {
  /** Chance, at each scheduled reading, that the device sends a burst instead. */
  probability: number;
  /** Messages in a burst. */
  size: number;
}

export interface SilenceOptions {
  /** Silences start at random, this many milliseconds apart on average. */
  meanIntervalMs: number;
  durationMs: number;
  /** Whether a silent device also disconnects (as a sleeping battery device does). */
  disconnect: boolean;
}

export interface DeviceOptions {
  deviceId: string;
  broker: BrokerAddress;
  format: PayloadFormat;
  qos: QoS;
  /** false keeps the session (subscriptions and queued messages) across disconnects. */
  clean: boolean;
  keepaliveSeconds: number;
  reconnectPeriodMs: number;
  connectTimeoutMs: number;
  /** Readings per second. */
  ratePerSecond: number;
  /** Each gap between readings varies by up to this fraction either way. */
  jitter: number;
  /** Stop after this many readings; unlimited when absent. */
  count?: number;
  /** Publishes not yet acknowledged at most; the next reading waits for a free slot. */
  inflightMax: number;
  metrics: readonly string[];
  /** This device's clock is off by this much. */
  clockSkewMs: number;
  burst?: BurstOptions;
  silence?: SilenceOptions;
  topicPrefix: string;
  commandTopicPrefix: string;
  replyTopicPrefix: string;
  random: Random;
}

export interface DeviceReport {
  /** Readings handed to the client, numbered 1..published. */
  published: number;
  /** Readings the broker acknowledged (PUBACK for QoS 1, PUBCOMP for QoS 2; written to the socket for QoS 0). */
  acknowledged: number;
  /** Readings whose publish failed. */
  failed: number;
  /** Sequence numbers of the acknowledged readings. */
  acknowledgedSequences: SequenceRange[];
  connects: number;
  reconnects: number;
  commandsReceived: number;
  commandsAnswered: number;
  bursts: number;
  silences: number;
  clockSkewMs: number;
  lastError: string | null;
}

export class SimulatedDevice {
  readonly id: string;
  readonly #options: DeviceOptions;
  readonly #client: MqttClient;
  readonly #sensors: SensorModel[];
  readonly #acknowledged = new SequenceSet();
  readonly #stop = new AbortController();
  readonly #counters = { published: 0, failed: 0, connects: 0, reconnects: 0, commandsReceived: 0, commandsAnswered: 0, bursts: 0, silences: 0 };
  #inflight = 0;
  #slotFreed: (() => void) | null = null;
  #drained: (() => void) | null = null;
  #nextSilenceAtMs = Number.POSITIVE_INFINITY;
  #lastError: string | null = null;
  #loop: Promise<void> | null = null;
  #connectCalled = false;
  readonly #commandTopic: string;

  constructor(options: DeviceOptions) {
    this.id = options.deviceId;
    this.#options = options;
    this.#sensors = options.metrics.map((metric) => new SensorModel(metric, options.random));
    this.#commandTopic = `${options.commandTopicPrefix}/${options.deviceId}`;
    const clientOptions: IClientOptions = {
      clientId: options.deviceId,
      protocolVersion: 4,
      clean: options.clean,
      keepalive: options.keepaliveSeconds,
      reconnectPeriod: options.reconnectPeriodMs,
      connectTimeout: options.connectTimeoutMs,
      username: options.broker.username,
      password: options.broker.password,
      manualConnect: true,
      // Readings taken while offline wait for the connection, whatever their QoS. Those
      // with QoS 1 and 2 that were sent but not acknowledged are resent after a reconnect
      // from mqtt.js's outgoing store [MQTT-4.4.0-1].
      queueQoSZero: true,
    };
    this.#client = new MqttClient(() => openStream(options.broker), clientOptions);
    this.#client.on('connect', (connack) => {
      this.#counters.connects += 1;
      // With no session on the broker (first connect, or the broker lost it), subscribe
      // again; mqtt.js only does so itself for clean sessions.
      if (!connack.sessionPresent) this.#subscribe();
    });
    this.#client.on('reconnect', () => { this.#counters.reconnects += 1; });
    this.#client.on('error', (error) => { this.#lastError = error.message; });
    this.#client.on('message', (topic, payload, packet) => this.#onMessage(topic, payload, packet));
    if (options.silence !== undefined) this.#nextSilenceAtMs = performance.now() + options.random.exponential(options.silence.meanIntervalMs);
  }

  get connected(): boolean {
    return this.#client.connected;
  }

  get inflight(): number {
    return this.#inflight;
  }

  /** Connects, and resolves on the first CONNACK or the first failure (the client keeps retrying after that). */
  connect(): Promise<void> {
    return new Promise((resolve) => {
      const settle = (): void => {
        this.#client.off('connect', settle);
        this.#client.off('error', settle);
        this.#client.off('close', settle);
        resolve();
      };
      this.#client.on('connect', settle);
      this.#client.on('error', settle);
      this.#client.on('close', settle);
      this.#connectCalled = true;
      this.#client.connect();
    });
  }

  /** Starts publishing; resolves when the device stops or has published its count. */
  run(): Promise<void> {
    this.#loop ??= this.#publishLoop().catch((error: unknown) => {
      if (!this.#stop.signal.aborted) this.#lastError = error instanceof Error ? error.message : String(error);
    });
    return this.#loop;
  }

  /** Stops publishing (what is in flight stays in flight). */
  stopPublishing(): void {
    this.#stop.abort();
    this.#slotFreed?.();
  }

  /** Resolves when nothing is in flight, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.#inflight === 0) return;
    await Promise.race([
      new Promise<void>((resolve) => { this.#drained = resolve; }),
      sleep(timeoutMs, undefined, { ref: false }),
    ]);
  }

  /** Disconnects: politely (DISCONNECT) when nothing is in flight, at once otherwise. */
  async close(): Promise<void> {
    this.stopPublishing();
    await this.#loop;
    // A device the fleet never got to has no connection to end.
    if (!this.#connectCalled) return;
    await new Promise<void>((resolve) => this.#client.end(this.#inflight > 0, () => resolve()));
  }

  report(): DeviceReport {
    return {
      published: this.#counters.published,
      acknowledged: this.#acknowledged.size,
      failed: this.#counters.failed,
      acknowledgedSequences: this.#acknowledged.ranges(),
      connects: this.#counters.connects,
      reconnects: this.#counters.reconnects,
      commandsReceived: this.#counters.commandsReceived,
      commandsAnswered: this.#counters.commandsAnswered,
      bursts: this.#counters.bursts,
      silences: this.#counters.silences,
      clockSkewMs: this.#options.clockSkewMs,
      lastError: this.#lastError,
    };
  }

  async #publishLoop(): Promise<void> {
    const options = this.#options;
    const signal = this.#stop.signal;
    const gapMs = 1000 / options.ratePerSecond;
    // Readings follow a schedule rather than sleeping a gap after each one: timers fire at
    // best every millisecond, so a device faster than that sends several per tick.
    let dueMs = performance.now();
    while (!signal.aborted && !this.#countReached()) {
      if (performance.now() >= this.#nextSilenceAtMs) {
        await this.#beSilent();
        dueMs = performance.now();
      }
      if (signal.aborted) break;
      const burst = options.burst !== undefined && options.random.next() < options.burst.probability;
      if (burst) this.#counters.bursts += 1;
      const messages = burst ? options.burst!.size : 1;
      for (let index = 0; index < messages && !signal.aborted && !this.#countReached(); index += 1) {
        await this.#freeSlot();
        if (signal.aborted) break;
        this.#publishReading();
      }
      if (this.#countReached()) break;
      dueMs += Math.max(0, options.random.around(gapMs, gapMs * options.jitter));
      const nowMs = performance.now();
      // A device that fell behind (a slow broker, a full window) does not owe the readings
      // it missed beyond a short backlog; a real sensor would have skipped them too.
      if (nowMs - dueMs > SCHEDULE_BACKLOG_MS_MAX) dueMs = nowMs;
      if (dueMs - nowMs >= 1) await sleep(dueMs - nowMs, undefined, { signal }).catch(() => {});
      else await yieldToEventLoop();
    }
  }

  #countReached(): boolean {
    return this.#options.count !== undefined && this.#counters.published >= this.#options.count;
  }

  #publishReading(): void {
    const options = this.#options;
    const sensor = this.#sensors[this.#counters.published % this.#sensors.length]!;
    this.#counters.published += 1;
    const sequence = this.#counters.published;
    const payload = encodeReading({
      deviceId: this.id,
      sequence,
      metric: sensor.metric,
      unit: sensor.unit,
      value: sensor.next(),
      timeMs: Date.now() + options.clockSkewMs,
    }, options.format);
    this.#inflight += 1;
    this.#client.publish(`${options.topicPrefix}/${this.id}/${sensor.metric}`, payload, { qos: options.qos }, (error) => {
      this.#inflight -= 1;
      if (error === undefined || error === null) this.#acknowledged.add(sequence);
      else {
        this.#counters.failed += 1;
        this.#lastError = error.message;
      }
      this.#slotFreed?.();
      if (this.#inflight === 0) this.#drained?.();
    });
  }

  async #freeSlot(): Promise<void> {
    while (this.#inflight >= this.#options.inflightMax && !this.#stop.signal.aborted) {
      await new Promise<void>((resolve) => { this.#slotFreed = resolve; });
      this.#slotFreed = null;
    }
  }

  async #beSilent(): Promise<void> {
    const silence = this.#options.silence!;
    const signal = this.#stop.signal;
    this.#counters.silences += 1;
    if (silence.disconnect) {
      // A sleeping device finishes what it was sending before it powers its radio down.
      while (this.#inflight > 0 && !signal.aborted) await new Promise<void>((resolve) => { this.#slotFreed = resolve; });
      this.#slotFreed = null;
      await new Promise<void>((resolve) => this.#client.end(false, () => resolve()));
    }
    await sleep(silence.durationMs, undefined, { signal }).catch(() => {});
    // Publishing resumes at once; mqtt.js queues the messages until CONNACK.
    if (silence.disconnect && !signal.aborted) this.#client.reconnect();
    this.#nextSilenceAtMs = performance.now() + silence.durationMs + this.#options.random.exponential(silence.meanIntervalMs);
  }

  #subscribe(): void {
    this.#client.subscribe(this.#commandTopic, { qos: this.#options.qos }, (error) => {
      if (error) this.#lastError = `subscribe to ${this.#commandTopic}: ${error.message}`;
    });
  }

  #onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (topic !== this.#commandTopic) return;
    this.#counters.commandsReceived += 1;
    const command = decodePayloadToJson(payload);
    const commandId = typeof command === 'object' && command !== null && 'id' in command ? (command as { id: unknown }).id : null;
    const reply = {
      device: this.id,
      command: commandId ?? null,
      status: 'ok',
      time: Date.now() + this.#options.clockSkewMs,
      duplicate: packet.dup,
    };
    // Replies use the device's own family of encodings: JSON for the text formats, CBOR otherwise.
    const encoded = this.#options.format === 'json' || this.#options.format === 'senml-json' ? encodeJson(reply) : encodeCbor(reply);
    this.#client.publish(`${this.#options.replyTopicPrefix}/${this.id}`, encoded, { qos: this.#options.qos }, (error) => {
      if (!error) this.#counters.commandsAnswered += 1;
    });
  }
}

/** Opens the TCP (or TLS) connection with Nagle's algorithm off: it delays small publishes by tens of ms. */
function openStream(broker: BrokerAddress): net.Socket {
  if (broker.protocol === 'mqtts') {
    const socket = tls.connect({ host: broker.host, port: broker.port, servername: net.isIP(broker.host) === 0 ? broker.host : undefined, ca: broker.ca, rejectUnauthorized: broker.rejectUnauthorized ?? true });
    socket.setNoDelay(true);
    return socket;
  }
  return net.connect({ host: broker.host, port: broker.port, noDelay: true });
}
