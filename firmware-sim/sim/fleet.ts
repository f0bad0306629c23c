// A fleet of simulated devices against one MQTT broker: the load generator of the MQTT
// benchmark and the input of the demo. `runFleet` connects the devices a few at a time
// (a thousand simultaneous CONNECTs is a storm no real fleet makes), lets them publish
// until the duration passes, every device reached its count, or the signal fires, waits
// for what is in flight, and reports per device what the broker acknowledged.
import { TributaryError } from '../../shared/errors.ts';
import { PAYLOAD_FORMATS, type PayloadFormat } from '../../shared/payloads.ts';
import { createRandom } from '../random.ts';
import { SimulatedDevice, type BrokerAddress, type BurstOptions, type DeviceReport, type QoS, type SilenceOptions } from './device.ts';
import { METRIC_NAMES } from './readings.ts';

/** Devices in one process at most: each holds a socket, and one Node process tops out long before. */
export const DEVICES_MAX = 100_000;
/** CONNECTs outstanding at once while the fleet comes up, so the broker is not hit by a storm. */
export const CONNECTS_IN_FLIGHT_DEFAULT = 32;
/** Unacknowledged publishes per device; MQTT brokers commonly allow a few dozen in flight per client. */
export const INFLIGHT_PER_DEVICE_DEFAULT = 16;
/** Readings per second per device at most; beyond this the timers, not the rate, decide. */
const RATE_PER_DEVICE_MAX = 10_000;
/** How long the fleet waits at the end for outstanding acknowledgements by default. */
const DRAIN_TIMEOUT_MS_DEFAULT = 10_000;

export interface FleetOptions {
  /** mqtt://[user:password@]host[:port] or mqtts://… */
  broker: string;
  devices: number;
  /** Readings per second per device. */
  ratePerSecond: number;
  /** Stop after this long; the fleet runs until `count` or the signal otherwise. */
  durationMs?: number;
  /** Readings per device, then the device stops. */
  count?: number;
  format?: PayloadFormat;
  qos?: QoS;
  /** Clean sessions instead of persistent ones. */
  clean?: boolean;
  /** Device ids are the prefix and a five-digit number starting at `firstDevice`. */
  idPrefix?: string;
  firstDevice?: number;
  /** Fraction by which each gap between readings varies either way. */
  jitter?: number;
  metrics?: readonly string[];
  /** Device clocks are off by up to this much either way. */
  clockSkewMaxMs?: number;
  burst?: BurstOptions;
  silence?: SilenceOptions;
  keepaliveSeconds?: number;
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  inflightPerDevice?: number;
  connectsInFlight?: number;
  drainTimeoutMs?: number;
  topicPrefix?: string;
  commandTopicPrefix?: string;
  replyTopicPrefix?: string;
  /** For mqtts: extra trusted certificates (PEM), and whether to check the server's certificate. */
  ca?: string;
  rejectUnauthorized?: boolean;
  seed?: number;
  progressIntervalMs?: number;
  onProgress?: (progress: FleetProgress) => void;
  signal?: AbortSignal;
}

export interface FleetProgress {
  elapsedMs: number;
  devicesStarted: number;
  devicesConnected: number;
  published: number;
  acknowledged: number;
  failed: number;
  inflight: number;
  reconnects: number;
  commandsAnswered: number;
  /** Acknowledgements per second since the previous progress report. */
  acknowledgedPerSecond: number;
}

export interface FleetTotals {
  published: number;
  acknowledged: number;
  failed: number;
  /** Published, neither acknowledged nor failed when the fleet stopped (the broker may still have them). */
  unconfirmed: number;
  connects: number;
  reconnects: number;
  commandsReceived: number;
  commandsAnswered: number;
  bursts: number;
  silences: number;
}

export interface FleetReport {
  /** The broker address, without any password. */
  broker: string;
  format: PayloadFormat;
  qos: QoS;
  devices: number;
  ratePerSecond: number;
  startedAt: string;
  durationMs: number;
  totals: FleetTotals;
  /** By device id. */
  perDevice: Record<string, DeviceReport>;
}

export async function runFleet(options: FleetOptions): Promise<FleetReport> {
  const settings = validate(options);
  const seed = options.seed ?? Date.now();
  const fleetRandom = createRandom(seed);
  const devices: SimulatedDevice[] = [];
  for (let index = 0; index < options.devices; index += 1) {
    const deviceId = `${settings.idPrefix}${String(settings.firstDevice + index).padStart(5, '0')}`;
    // Each device draws from its own generator, so its behaviour does not depend on how the
    // others' timers interleave.
    const random = createRandom(seed + 7_919 * (index + 1));
    devices.push(new SimulatedDevice({
      deviceId,
      broker: settings.broker,
      format: settings.format,
      qos: settings.qos,
      clean: options.clean ?? false,
      keepaliveSeconds: options.keepaliveSeconds ?? 30,
      reconnectPeriodMs: options.reconnectPeriodMs ?? 1_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      ratePerSecond: options.ratePerSecond,
      jitter: settings.jitter,
      count: options.count,
      inflightMax: settings.inflightPerDevice,
      metrics: settings.metrics,
      clockSkewMs: Math.round(fleetRandom.around(0, options.clockSkewMaxMs ?? 0)),
      burst: options.burst,
      silence: options.silence,
      topicPrefix: options.topicPrefix ?? 'sensors',
      commandTopicPrefix: options.commandTopicPrefix ?? 'commands',
      replyTopicPrefix: options.replyTopicPrefix ?? 'replies',
      random,
    }));
  }

  const startedAt = new Date();
  const startedMs = performance.now();
  let started = 0;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const durationTimer = options.durationMs === undefined ? null : setTimeout(() => stop.abort(), options.durationMs);

  let lastProgress = { atMs: startedMs, acknowledged: 0 };
  const progress = (): FleetProgress => {
    const nowMs = performance.now();
    let published = 0, acknowledged = 0, failed = 0, inflight = 0, reconnects = 0, commandsAnswered = 0, connected = 0;
    for (const device of devices) {
      const report = device.report();
      published += report.published;
      acknowledged += report.acknowledged;
      failed += report.failed;
      reconnects += report.reconnects;
      commandsAnswered += report.commandsAnswered;
      inflight += device.inflight;
      if (device.connected) connected += 1;
    }
    const seconds = (nowMs - lastProgress.atMs) / 1000;
    const rate = seconds > 0 ? Math.round((acknowledged - lastProgress.acknowledged) / seconds) : 0;
    lastProgress = { atMs: nowMs, acknowledged };
    return { elapsedMs: Math.round(nowMs - startedMs), devicesStarted: started, devicesConnected: connected, published, acknowledged, failed, inflight, reconnects, commandsAnswered, acknowledgedPerSecond: rate };
  };
  const progressTimer = options.onProgress === undefined ? null : setInterval(() => options.onProgress!(progress()), options.progressIntervalMs ?? 1_000);

  try {
    // Bring the fleet up a few devices at a time; each starts publishing once connected.
    const runs: Promise<void>[] = [];
    const connecting = new Set<Promise<void>>();
    for (const device of devices) {
      if (stop.signal.aborted) break;
      while (connecting.size >= settings.connectsInFlight) await Promise.race(connecting);
      if (stop.signal.aborted) break;
      started += 1;
      const connected: Promise<void> = device.connect().then(() => {
        connecting.delete(connected);
        if (!stop.signal.aborted) runs.push(device.run());
      });
      connecting.add(connected);
    }
    await Promise.all(connecting);
    // With a count, the run ends when every device has published it; otherwise at the stop.
    const stopped = stop.signal.aborted ? Promise.resolve() : new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    if (options.count !== undefined && runs.length === devices.length) await Promise.race([Promise.all(runs), stopped]);
    else await stopped;
  } finally {
    if (durationTimer !== null) clearTimeout(durationTimer);
    options.signal?.removeEventListener('abort', onAbort);
    for (const device of devices) device.stopPublishing();
    await Promise.all(devices.map((device) => device.drain(options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS_DEFAULT)));
    await Promise.all(devices.map((device) => device.close()));
    if (progressTimer !== null) clearInterval(progressTimer);
  }
  options.onProgress?.(progress());

  const perDevice: Record<string, DeviceReport> = {};
  const totals: FleetTotals = { published: 0, acknowledged: 0, failed: 0, unconfirmed: 0, connects: 0, reconnects: 0, commandsReceived: 0, commandsAnswered: 0, bursts: 0, silences: 0 };
  for (const device of devices) {
    const report = device.report();
    perDevice[device.id] = report;
    totals.published += report.published;
    totals.acknowledged += report.acknowledged;
    totals.failed += report.failed;
    totals.connects += report.connects;
    totals.reconnects += report.reconnects;
    totals.commandsReceived += report.commandsReceived;
    totals.commandsAnswered += report.commandsAnswered;
    totals.bursts += report.bursts;
    totals.silences += report.silences;
  }
  totals.unconfirmed = totals.published - totals.acknowledged - totals.failed;
  return {
    broker: settings.brokerShown,
    format: settings.format,
    qos: settings.qos,
    devices: devices.length,
    ratePerSecond: options.ratePerSecond,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - startedMs),
    totals,
    perDevice,
  };
}

interface Settings {
  broker: BrokerAddress;
  brokerShown: string;
  format: PayloadFormat;
  qos: QoS;
  idPrefix: string;
  firstDevice: number;
  jitter: number;
  metrics: readonly string[];
  inflightPerDevice: number;
  connectsInFlight: number;
}

function validate(options: FleetOptions): Settings {
  const broker = parseBrokerUrl(options.broker);
  broker.ca = options.ca;
  broker.rejectUnauthorized = options.rejectUnauthorized;
  integerIn(options.devices, 1, DEVICES_MAX, '--devices');
  if (!Number.isFinite(options.ratePerSecond) || options.ratePerSecond <= 0 || options.ratePerSecond > RATE_PER_DEVICE_MAX) {
    throw invalid('--rate', options.ratePerSecond, `must be a number of readings per second per device in (0, ${RATE_PER_DEVICE_MAX}]`);
  }
  if (options.count !== undefined) integerIn(options.count, 1, Number.MAX_SAFE_INTEGER, '--count');
  if (options.durationMs !== undefined && !(options.durationMs > 0)) throw invalid('--duration', options.durationMs, 'must be a positive number of milliseconds');
  const format = options.format ?? 'senml-cbor';
  if (!PAYLOAD_FORMATS.includes(format)) throw invalid('--format', format, `must be one of ${PAYLOAD_FORMATS.join(', ')}`);
  const qos = options.qos ?? 1;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw invalid('--qos', qos, 'must be 0, 1 or 2');
  const idPrefix = options.idPrefix ?? 'dev-';
  // [MQTT-4.7.1-1] Wildcards cannot appear in a topic name, and '/' would add a topic level.
  if (/[/+#\u0000]/.test(idPrefix)) throw invalid('--id-prefix', idPrefix, "must not contain '/', '+', '#' or NUL: device ids become topic levels");
  const firstDevice = options.firstDevice ?? 1;
  integerIn(firstDevice, 0, Number.MAX_SAFE_INTEGER, '--first-device');
  const jitter = options.jitter ?? 0.2;
  if (!(jitter >= 0 && jitter <= 1)) throw invalid('--jitter', jitter, 'must be a fraction between 0 and 1');
  const metrics = options.metrics ?? ['temperature', 'humidity'];
  if (metrics.length === 0) throw invalid('--metrics', '', 'needs at least one metric');
  for (const metric of metrics) {
    if (!METRIC_NAMES.includes(metric)) throw invalid('--metrics', metric, `is not a known metric (known: ${METRIC_NAMES.join(', ')})`);
  }
  const inflightPerDevice = options.inflightPerDevice ?? INFLIGHT_PER_DEVICE_DEFAULT;
  // [MQTT-2.3.1] Packet identifiers are 16 bits, so a client cannot have more in flight.
  integerIn(inflightPerDevice, 1, 65_535, '--inflight');
  const connectsInFlight = options.connectsInFlight ?? CONNECTS_IN_FLIGHT_DEFAULT;
  integerIn(connectsInFlight, 1, DEVICES_MAX, '--connects-in-flight');
  if (options.burst !== undefined) {
    if (!(options.burst.probability >= 0 && options.burst.probability <= 1)) throw invalid('--burst-probability', options.burst.probability, 'must be between 0 and 1');
    integerIn(options.burst.size, 1, 100_000, '--burst-size');
  }
  if (options.silence !== undefined) {
    if (!(options.silence.meanIntervalMs > 0)) throw invalid('--silence-mean-interval', options.silence.meanIntervalMs, 'must be a positive number of milliseconds');
    if (!(options.silence.durationMs > 0)) throw invalid('--silence-for', options.silence.durationMs, 'must be a positive number of milliseconds');
  }
  const brokerShown = `${broker.protocol}://${broker.host.includes(':') ? `[${broker.host}]` : broker.host}:${broker.port}`;
  return { broker, brokerShown, format, qos, idPrefix, firstDevice, jitter, metrics, inflightPerDevice, connectsInFlight };
}

/** mqtt://[user[:password]@]host[:port] (port 1883), mqtts://… (port 8883). tcp:// and ssl:// are accepted as synonyms. */
export function parseBrokerUrl(text: string): BrokerAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('--broker', text, 'is not a URL such as mqtt://127.0.0.1:1883');
  }
  const protocol = ({ 'mqtt:': 'mqtt', 'tcp:': 'mqtt', 'mqtts:': 'mqtts', 'ssl:': 'mqtts', 'tls:': 'mqtts' } as const)[url.protocol as 'mqtt:'];
  if (protocol === undefined) throw invalid('--broker', text, 'must start with mqtt:// or mqtts://');
  if (url.hostname === '') throw invalid('--broker', text, 'has no host');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    protocol,
    host,
    port: url.port === '' ? (protocol === 'mqtt' ? 1883 : 8883) : Number(url.port),
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
  };
}

function integerIn(value: number, low: number, high: number, option: string): void {
  if (!Number.isSafeInteger(value) || value < low || value > high) throw invalid(option, value, `must be an integer in ${low}..${high}`);
}

function invalid(option: string, value: unknown, reason: string): TributaryError {
  return new TributaryError('SIM_OPTION_INVALID', `${option}: ${JSON.stringify(value)} ${reason}`, { option, value });
}
