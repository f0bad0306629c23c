// What a soak runs, each part a process of its own started as an operator starts it: a
// single-node central (`tributary central`), a fault-injecting link to it that cuts every
// few minutes (`tributary link`), the edge under test (`tributary edge`, its embedded mirror
// delivering through the link), a simulated device fleet (`tributary sim`) and the Kafka
// load (kafka-load.ts).
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { TributaryProcess, type Json } from '../tributary-process.ts';
import type { KafkaLoadOptions } from './kafka-load.ts';

export interface SoakSettings {
  durationSeconds: number;
  devices: number;
  /** Readings per second per device. */
  deviceRate: number;
  kafkaRecordsPerSecond: number;
  cutEveryMs: number;
  cutForMs: number;
  diskBudgetBytes: number;
  directory: string;
}

/** The edge's node id, and so the prefix of its topics on the central ({edge}.{topic}). */
export const EDGE_ID = 'soak';
/** Log topics, with their partitions. */
export const TOPICS = { sensors: 4, orders: 3, commands: 1, replies: 1 } as const;
/** Segments roll at this size, so that retention has whole segments to delete all through a run. */
export const SEGMENT_BYTES = 1024 * 1024;
/** Device processes: one Node process drives a few thousand simulated devices at most. */
const SIM_PROCESSES = 2;
/** Devices go quiet (and disconnect, as a sleeping battery device does) this often on average, each. */
const DEVICE_SILENCE_MEAN_INTERVAL_MS = 10 * 60_000;
const DEVICE_SILENCE_MS = 20_000;
/** Commands the Kafka side sends to devices, a second. */
const COMMANDS_PER_SECOND = 1;
/** Each consumer group replaces one member this often. */
const MEMBER_CHURN_MS = 4 * 60_000;
const PROGRESS_MS = 30_000;

export interface Topology {
  parts: TributaryProcess[];
  central: { process: TributaryProcess; kafka: string };
  link: { process: TributaryProcess; control: string };
  edge: { process: TributaryProcess; pid: number; ports: { kafka: number; mqtt: number; http: number }; configPath: string; dataDirectory: string };
  sims: { process: TributaryProcess; reportPath: string }[];
  kafkaLoad: { process: TributaryProcess; reportPath: string };
}

export function deviceId(number: number): string {
  return `dev-${String(number).padStart(5, '0')}`;
}

function writeYaml(path: string, config: Json): string {
  writeFileSync(path, stringify(config));
  return path;
}

export function edgeConfig(settings: SoakSettings, centralKafka: string, linkAddress: string): Json {
  return {
    node: { id: EDGE_ID, dataDir: join(settings.directory, 'edge') },
    listeners: { kafka: { host: '127.0.0.1', port: 0 }, mqtt: { host: '127.0.0.1', port: 0 }, mqttWs: { enabled: false }, http: { host: '127.0.0.1', port: 0 } },
    storage: { diskBudgetBytes: settings.diskBudgetBytes, retentionCheckCron: '*/15 * * * * *' },
    topics: { defaults: { segmentBytes: SEGMENT_BYTES }, overrides: Object.fromEntries(Object.entries(TOPICS).map(([name, partitions]) => [name, { partitions }])) },
    mqtt: {
      routes: [{ filter: 'sensors/+/+', topic: 'sensors', key: '{1}' }, { filter: 'replies/+', topic: 'replies', key: '{1}' }],
      reverseRoutes: [{ topic: 'commands', mqttTopic: 'commands/{key}', qos: 1 }],
    },
    mirror: {
      target: { bootstrap: [linkAddress], addressMap: { [centralKafka]: linkAddress }, connectTimeoutMs: 5_000, requestTimeoutMs: 10_000 },
      topics: { include: ['sensors', 'orders', 'replies'] },
      link: { retryBackoffMinMs: 500, retryBackoffMaxMs: 5_000 },
      heartbeat: { intervalMs: 5_000 },
    },
    log: { level: 'info' },
  };
}

/** Starts every part, the edge's load last; `parts` lists them in the order they started. */
export async function startTopology(settings: SoakSettings): Promise<Topology> {
  const { directory } = settings;
  const parts: TributaryProcess[] = [];
  const start = (name: string, args: string[], script?: string): TributaryProcess => {
    const part = new TributaryProcess(name, args, directory, { script });
    parts.push(part);
    return part;
  };
  const readyPorts = async (part: TributaryProcess): Promise<Json> => (await part.waitFor((event) => event.event === 'ready', 'ready'));

  const centralConfig = writeYaml(join(directory, 'central.yaml'), {
    node: { id: 'central', dataDir: join(directory, 'central') },
    listeners: { kafka: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } },
    log: { level: 'info' },
  });
  const central = start('central', ['central', '--config', centralConfig]);
  const centralKafka = `127.0.0.1:${((await readyPorts(central)).ports as { kafka: number }).kafka}`;

  const link = start('link', ['link', '--listen', '127.0.0.1:0', '--target', centralKafka, '--control', '127.0.0.1:0', '--cut-every', String(settings.cutEveryMs), '--cut-for', String(settings.cutForMs)]);
  const listening = await link.waitFor((event) => event.event === 'listening', 'its address');

  const configPath = writeYaml(join(directory, 'edge.yaml'), edgeConfig(settings, centralKafka, String(listening.listen)));
  const edge = start('edge', ['edge', '--config', configPath]);
  const ready = await readyPorts(edge);
  const ports = ready.ports as Topology['edge']['ports'];

  const sims: Topology['sims'] = [];
  const perProcess = Math.ceil(settings.devices / SIM_PROCESSES);
  for (let index = 0; index < SIM_PROCESSES && index * perProcess < settings.devices; index++) {
    const first = 1 + index * perProcess;
    const reportPath = join(directory, `sim-${index}.json`);
    sims.push({ reportPath, process: start(`sim-${index}`, ['sim', '--broker', `mqtt://127.0.0.1:${ports.mqtt}`, '--devices', String(Math.min(perProcess, settings.devices - index * perProcess)),
      '--first-device', String(first), '--rate', String(settings.deviceRate), '--duration', String(settings.durationSeconds), '--format', 'senml-cbor',
      '--silence-mean-interval', String(DEVICE_SILENCE_MEAN_INTERVAL_MS), '--silence-for', String(DEVICE_SILENCE_MS), '--seed', String(index + 1),
      '--progress-ms', String(PROGRESS_MS), '--report', reportPath]) });
  }

  const kafkaReportPath = join(directory, 'kafka-load.json');
  const kafkaOptions: KafkaLoadOptions = {
    port: ports.kafka,
    topic: 'orders',
    recordsPerSecond: settings.kafkaRecordsPerSecond,
    commandTopic: 'commands',
    commandsPerSecond: COMMANDS_PER_SECOND,
    deviceIds: Array.from({ length: settings.devices }, (_unused, index) => deviceId(index + 1)),
    groups: [{ groupId: 'soak-readings', topics: ['sensors'], members: 2 }, { groupId: 'soak-orders', topics: ['orders', 'replies'], members: 1 }],
    memberChurnMs: MEMBER_CHURN_MS,
    progressMs: PROGRESS_MS,
    reportPath: kafkaReportPath,
  };
  const kafkaLoad = start('kafka-load', [JSON.stringify(kafkaOptions)], resolve(import.meta.dirname, 'kafka-load.ts'));

  return {
    parts,
    central: { process: central, kafka: centralKafka },
    link: { process: link, control: String(listening.control) },
    edge: { process: edge, pid: Number(ready.pid), ports, configPath, dataDirectory: join(directory, 'edge') },
    sims,
    kafkaLoad: { process: kafkaLoad, reportPath: kafkaReportPath },
  };
}
