// Which edge nodes and devices are online, and what their metrics are, as a Sparkplug host
// application tracks them (Sparkplug 3.0.0, 5 "Operational Behavior"):
// - NBIRTH puts an edge node online and defines its metrics: names, aliases and datatypes.
//   Later NDATA may send only aliases and no datatype ([tck-id-payloads-metric-datatype-
//   not-req]), so records get both from here. A new NBIRTH also means every device of the
//   node is reborn, so its devices are offline until their own DBIRTH.
// - NDEATH takes the node and all its devices offline
//   ([tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline],
//   [...-ndeath-devices-offline]), but only when its bdSeq matches the NBIRTH's: a death
//   certificate (MQTT will) of an older connection arriving late is stale and changes
//   nothing ([tck-id-payloads-ndeath-bdseq]).
// - DBIRTH and DDEATH do the same for one device.
// - seq runs 0-255 and wraps, one step per message of the node after its NBIRTH
//   ([tck-id-payloads-ndata-seq-inc]); a step missed is counted as a gap.
// The state lives in memory: after a restart a node's aliases are known again from its
// next birth (until then its data carries aliases without names).
import { int64Bits } from './metric-values.ts';
import type { RawMetric, RawPayload } from './sparkplug-proto.ts';
import type { SparkplugTopic } from './sparkplug-topic.ts';

/** Edge nodes tracked; a fleet behind one broker is far smaller, and each costs its metric tables. */
export const EDGE_NODES_MAX = 10_000;
/** Devices tracked per edge node. */
export const DEVICES_PER_NODE_MAX = 10_000;
/** Metric definitions kept per node or device (a birth naming more keeps the first ones). */
export const METRICS_PER_SCOPE_MAX = 10_000;
/** Sequence numbers wrap after 255 (6.4.x seq). */
const SEQ_MODULUS = 256;

export interface MetricDefinition {
  name: string;
  datatype: number | undefined;
}

interface Scope {
  online: boolean;
  /** When it went online or offline (ms since the Unix epoch). */
  sinceMs: number;
  byAlias: Map<string, MetricDefinition>;
  byName: Map<string, MetricDefinition>;
}

interface EdgeNodeState extends Scope {
  bdSeq: string | undefined;
  lastSeq: number | undefined;
  devices: Map<string, Scope>;
}

/** What one message told, beside its payload: the definitions of its metrics and what was unusual. */
export interface Observation {
  /** Per metric of the payload, its definition (from itself or its birth), or undefined when unknown. */
  definitions: (MetricDefinition | undefined)[];
  sequenceGap: boolean;
  staleDeath: boolean;
  /** Data from a node or device with no birth seen (or offline): its aliases cannot be named. */
  beforeBirth: boolean;
  untracked: boolean;
}

export interface SparkplugCensus {
  edgeNodesOnline: number;
  edgeNodesOffline: number;
  devicesOnline: number;
  devicesOffline: number;
}

const newScope = (online: boolean, nowMs: number): Scope => ({ online, sinceMs: nowMs, byAlias: new Map(), byName: new Map() });

function setOnline(scope: Scope, online: boolean, nowMs: number): void {
  if (scope.online !== online) scope.sinceMs = nowMs;
  scope.online = online;
}

function define(scope: Scope, metrics: readonly RawMetric[]): void {
  scope.byAlias.clear();
  scope.byName.clear();
  for (const metric of metrics) {
    if (metric.name === undefined || scope.byName.size >= METRICS_PER_SCOPE_MAX) continue;
    const definition = { name: metric.name, datatype: metric.datatype };
    scope.byName.set(metric.name, definition);
    if (metric.alias !== undefined) scope.byAlias.set(int64Bits(metric.alias).toString(), definition);
  }
}

function lookUp(scope: Scope | undefined, metric: RawMetric): MetricDefinition | undefined {
  if (metric.name !== undefined) return { name: metric.name, datatype: metric.datatype ?? scope?.byName.get(metric.name)?.datatype };
  if (metric.alias === undefined || scope === undefined) return undefined;
  const known = scope.byAlias.get(int64Bits(metric.alias).toString());
  return known === undefined ? undefined : { name: known.name, datatype: metric.datatype ?? known.datatype };
}

const bdSeqOf = (payload: RawPayload): string | undefined => {
  const metric = payload.metrics?.find((candidate) => candidate.name === 'bdSeq');
  const value = metric?.longValue ?? metric?.intValue;
  return value === undefined ? undefined : int64Bits(value).toString();
};

export class SparkplugSessions {
  readonly #nodes = new Map<string, EdgeNodeState>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  observe(topic: Extract<SparkplugTopic, { kind: 'edge' }>, payload: RawPayload): Observation {
    const metrics = payload.metrics ?? [];
    const nowMs = this.#now();
    const observation: Observation = { definitions: [], sequenceGap: false, staleDeath: false, beforeBirth: false, untracked: false };
    const key = `${topic.group}/${topic.edgeNode}`;
    let node = this.#nodes.get(key);
    if (node === undefined && (topic.messageType === 'NBIRTH' || topic.messageType === 'DBIRTH' || topic.messageType.endsWith('DATA'))) {
      if (this.#nodes.size >= EDGE_NODES_MAX) {
        observation.untracked = true;
      } else {
        node = { ...newScope(false, nowMs), bdSeq: undefined, lastSeq: undefined, devices: new Map() };
        this.#nodes.set(key, node);
      }
    }
    const seq = payload.seq === undefined ? undefined : Number(int64Bits(payload.seq) % BigInt(SEQ_MODULUS));
    const stepSeq = (): void => {
      if (node === undefined || seq === undefined) return;
      if (node.lastSeq !== undefined && seq !== (node.lastSeq + 1) % SEQ_MODULUS) observation.sequenceGap = true;
      node.lastSeq = seq;
    };
    let device = topic.device === undefined ? undefined : node?.devices.get(topic.device);
    switch (topic.messageType) {
      case 'NBIRTH':
        if (node === undefined) break;
        setOnline(node, true, nowMs);
        define(node, metrics);
        node.bdSeq = bdSeqOf(payload);
        node.lastSeq = seq;
        for (const reborn of node.devices.values()) setOnline(reborn, false, nowMs);
        break;
      case 'NDEATH': {
        if (node === undefined) break;
        const bdSeq = bdSeqOf(payload);
        if (node.bdSeq !== undefined && bdSeq !== undefined && bdSeq !== node.bdSeq) {
          observation.staleDeath = true;
          break;
        }
        setOnline(node, false, nowMs);
        for (const dead of node.devices.values()) setOnline(dead, false, nowMs);
        break;
      }
      case 'DBIRTH':
        stepSeq();
        if (node === undefined) break;
        if (device === undefined && node.devices.size < DEVICES_PER_NODE_MAX) {
          device = newScope(false, nowMs);
          node.devices.set(topic.device!, device);
        }
        if (device === undefined) {
          observation.untracked = true;
          break;
        }
        setOnline(device, true, nowMs);
        define(device, metrics);
        break;
      case 'DDEATH':
        stepSeq();
        if (device !== undefined) setOnline(device, false, nowMs);
        break;
      case 'NDATA':
      case 'DDATA':
        stepSeq();
        if (!(topic.messageType === 'NDATA' ? node : device)?.online) observation.beforeBirth = true;
        break;
      case 'NCMD':
      case 'DCMD':
        break;
    }
    const scope = topic.device === undefined ? node : device;
    observation.definitions = metrics.map((metric) => lookUp(scope, metric));
    return observation;
  }

  census(): SparkplugCensus {
    const census = { edgeNodesOnline: 0, edgeNodesOffline: 0, devicesOnline: 0, devicesOffline: 0 };
    for (const node of this.#nodes.values()) {
      if (node.online) census.edgeNodesOnline += 1;
      else census.edgeNodesOffline += 1;
      for (const device of node.devices.values()) {
        if (device.online) census.devicesOnline += 1;
        else census.devicesOffline += 1;
      }
    }
    return census;
  }

  /** One edge node's state, for tests and the operator: online, and each device's. */
  edgeNode(group: string, edgeNode: string): { online: boolean; bdSeq: string | undefined; devices: Record<string, boolean> } | undefined {
    const node = this.#nodes.get(`${group}/${edgeNode}`);
    if (node === undefined) return undefined;
    return { online: node.online, bdSeq: node.bdSeq, devices: Object.fromEntries([...node.devices].map(([id, device]) => [id, device.online])) };
  }
}
