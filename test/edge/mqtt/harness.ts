// Starts the MQTT front end in-process on a real LogStore in a temporary directory, with
// ephemeral ports, and gives tests real mqtt.js clients and a way to read the log back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import { LogStore, type FaultInjector } from '../../../edge/storage/index.ts';
import { startMqttFrontEnd, type MqttFrontEnd } from '../../../edge/mqtt/index.ts';
import { defaultConfig } from '../../../shared/config/load.ts';
import type { MqttConfig } from '../../../shared/config/schema.ts';
import { decodeRecords, type DecodedRecord } from '../../../shared/kafka/record-batch.ts';

export interface LogLine { level: number; msg: string; [field: string]: unknown }

export interface HarnessOptions {
  mqtt?: Partial<Omit<MqttConfig, 'limits'>> & { limits?: Partial<MqttConfig['limits']> };
  webSocket?: boolean;
  fileFaults?: FaultInjector;
  /** Reuse the directory of an earlier harness (a restart). */
  directory?: string;
}

export class Harness {
  readonly directory: string;
  readonly store: LogStore;
  readonly frontEnd: MqttFrontEnd;
  readonly registry: Registry;
  readonly logLines: LogLine[];
  readonly #clients: MqttClient[] = [];

  private constructor(directory: string, store: LogStore, frontEnd: MqttFrontEnd, registry: Registry, logLines: LogLine[]) {
    this.directory = directory;
    this.store = store;
    this.frontEnd = frontEnd;
    this.registry = registry;
    this.logLines = logLines;
  }

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'tributary-'));
    const logLines: LogLine[] = [];
    const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => { logLines.push(JSON.parse(line)); } });
    const defaults = defaultConfig();
    const config: MqttConfig = { ...defaults.mqtt, ...options.mqtt, limits: { ...defaults.mqtt.limits, ...options.mqtt?.limits } } as MqttConfig;
    const registry = new Registry();
    const store = await LogStore.open({ dataDir: directory, logger: logger.child({ part: 'storage' }), registry, storage: defaults.storage, topicDefaults: defaults.topics.defaults, fileFaults: options.fileFaults });
    const frontEnd = await startMqttFrontEnd({
      config,
      listeners: { mqtt: { host: '127.0.0.1', port: 0 }, mqttWs: options.webSocket ? { host: '127.0.0.1', port: 0 } : null },
      store,
      dataDir: directory,
      logger: logger.child({ part: 'mqtt' }),
      registry,
    });
    return new Harness(directory, store, frontEnd, registry, logLines);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.frontEnd.ports.mqtt}`;
  }

  /**
   * A connected mqtt.js client (closed by stop()). `beforeConnect` runs before the
   * CONNECT is answered: a listener that must see messages queued for a session, which
   * may arrive right behind the CONNACK, is attached there.
   */
  async client(options: IClientOptions = {}, url = this.url, beforeConnect?: (client: MqttClient) => void): Promise<MqttClient> {
    const client = mqtt.connect(url, { reconnectPeriod: 0, protocolVersion: 4, ...options });
    this.#clients.push(client);
    beforeConnect?.(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('connection closed before CONNACK')));
    });
    return client;
  }

  /** Every record of a log topic partition, decoded. */
  async records(topic: string, partition = 0): Promise<DecodedRecord[]> {
    const log = this.store.partition(topic, partition);
    const records: DecodedRecord[] = [];
    let offset = log.logStartOffset;
    while (offset < log.highWatermark) {
      const { batches } = await log.read(offset, 1024 * 1024);
      let position = 0;
      while (position < batches.length) {
        const decoded = decodeRecords(batches, position);
        records.push(...decoded.filter((record) => record.offset >= offset));
        position += batches.readInt32BE(position + 8) + 12;
      }
      offset = records.length > 0 ? records[records.length - 1]!.offset + 1n : log.highWatermark;
    }
    return records;
  }

  /** Waits until a partition holds at least `count` records. */
  async waitForRecords(topic: string, count: number, partition = 0): Promise<DecodedRecord[]> {
    for (;;) {
      const description = this.store.describeTopic(topic);
      if (description !== undefined) {
        const log = this.store.partition(topic, partition);
        if (log.highWatermark - log.logStartOffset >= BigInt(count)) return this.records(topic, partition);
        await log.waitForData(log.highWatermark, 10_000);
      } else {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (metric === undefined) throw new Error(`no metric ${name}`);
    const { values } = await metric.get();
    const found = values.find((value) => Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected));
    return found?.value ?? 0;
  }

  /**
   * Waits until a metric reaches `value`. Counters move in callbacks that no client can
   * observe, so this looks again on every turn of the event loop.
   */
  async waitForMetric(name: string, labels: Record<string, string>, value: number): Promise<void> {
    while ((await this.metric(name, labels)) < value) await new Promise((resolve) => setImmediate(resolve));
  }

  /** Stops the front end and the store; keeps the directory for a restart. */
  async stop(): Promise<void> {
    await Promise.all(this.#clients.map((client) => client.endAsync(true).catch(() => {})));
    await this.frontEnd.close();
    await this.store.close();
  }

  /** Stops and removes the directory. */
  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

export function header(record: DecodedRecord, key: string): string | undefined {
  return record.headers.find((candidate) => candidate.key === key)?.value?.toString('utf8');
}

/** Resolves when the client's connection closes. */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}
