// Routes: which log topic and record key an MQTT publish goes to (mqtt.routes, first
// match wins, else mqtt.defaultRoute), and which MQTT topic a record of a reverse-routed
// log topic is published on (mqtt.reverseRoutes).
import type { MqttConfig } from '../../shared/config/schema.ts';
import { TributaryError } from '../../shared/errors.ts';
import { TOPIC_NAME_PATTERN as LOG_TOPIC_PATTERN } from '../../shared/kafka/topic-name.ts';
import { TopicFilter, topicFilterProblem, topicNameProblem } from './topic-filter.ts';

/**
 * Distinct MQTT topics whose route is remembered. Devices publish on the same few
 * topics over and over; past this many the cache starts afresh, bounding its memory.
 */
const ROUTE_CACHE_ENTRIES_MAX = 10_000;


type KeyPart = { literal: string } | { level: number } | { whole: 'topic' } | { whole: 'clientId' };

export interface RouteTarget {
  /** Log topic the record is appended to. */
  topic: string;
  /** Record key. */
  key: string;
  /** Sparkplug B payloads are decoded into JSON records (edge/connectors/sparkplug). */
  sparkplug?: 'per-payload' | 'per-metric';
}

interface CompiledRoute {
  filter: TopicFilter | null;
  topic: string;
  keyParts: KeyPart[];
  sparkplug?: RouteTarget['sparkplug'];
}

function compileTemplate(template: string, where: string, placeholders: (name: string) => KeyPart | null): KeyPart[] {
  const parts: KeyPart[] = [];
  const pattern = /\{([^{}]*)\}/g;
  let last = 0;
  for (const match of template.matchAll(pattern)) {
    if (match.index > last) parts.push({ literal: template.slice(last, match.index) });
    const part = placeholders(match[1]!);
    if (part === null) throw new TributaryError('CONFIG_INVALID', `${where}: unknown placeholder {${match[1]}} in "${template}"`, { where });
    parts.push(part);
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push({ literal: template.slice(last) });
  if (/[{}]/.test(parts.map((part) => ('literal' in part ? part.literal : '')).join(''))) {
    throw new TributaryError('CONFIG_INVALID', `${where}: unbalanced braces in "${template}"`, { where });
  }
  return parts;
}

function keyPlaceholder(name: string): KeyPart | null {
  if (name === 'topic') return { whole: 'topic' };
  if (name === 'clientId') return { whole: 'clientId' };
  if (/^\d{1,4}$/.test(name)) return { level: Number(name) };
  return null;
}

function checkLogTopic(topic: string, where: string): void {
  if (!LOG_TOPIC_PATTERN.test(topic)) {
    throw new TributaryError('CONFIG_INVALID', `${where}: "${topic}" is not a valid log topic name (letters, digits, '.', '_' and '-', at most 249)`, { where });
  }
}

export class RouteTable {
  readonly #routes: CompiledRoute[];
  readonly #fallback: CompiledRoute | null;
  /** Per MQTT topic: its route, its levels, and its target when the key does not name the client. */
  readonly #cache = new Map<string, { route: CompiledRoute | null; levels: string[]; target: RouteTarget | null }>();

  constructor(config: Pick<MqttConfig, 'routes' | 'defaultRoute'>, maxTopicLevels: number) {
    this.#routes = config.routes.map((route, index) => {
      const where = `mqtt.routes[${index}]`;
      const problem = topicFilterProblem(route.filter, maxTopicLevels);
      if (problem !== null) throw new TributaryError('CONFIG_INVALID', `${where}.filter: ${problem}`, { where });
      checkLogTopic(route.topic, `${where}.topic`);
      return { filter: new TopicFilter(route.filter), topic: route.topic, keyParts: compileTemplate(route.key, `${where}.key`, keyPlaceholder), sparkplug: route.sparkplug };
    });
    const fallback = config.defaultRoute;
    if (fallback === 'reject') {
      this.#fallback = null;
    } else {
      checkLogTopic(fallback.topic, 'mqtt.defaultRoute.topic');
      this.#fallback = { filter: null, topic: fallback.topic, keyParts: compileTemplate(fallback.key, 'mqtt.defaultRoute.key', keyPlaceholder) };
    }
  }

  /** Whether a route decodes Sparkplug B payloads (the decoder is then loaded). */
  get decodesSparkplug(): boolean {
    return this.#routes.some((route) => route.sparkplug !== undefined);
  }

  /** Every log topic a publish may be appended to. */
  get logTopics(): string[] {
    const topics = new Set(this.#routes.map((route) => route.topic));
    if (this.#fallback !== null) topics.add(this.#fallback.topic);
    return [...topics];
  }

  /**
   * Where a publish on `mqttTopic` by `clientId` goes, or null if it is refused. For a
   * route whose key does not use {clientId}, the same target object is returned for the
   * same MQTT topic, so callers may cache what they derive from it by identity.
   */
  resolve(mqttTopic: string, clientId: string): RouteTarget | null {
    let cached = this.#cache.get(mqttTopic);
    if (cached === undefined) {
      const levels = mqttTopic.split('/');
      const route = this.#routes.find((candidate) => candidate.filter!.matchesLevels(mqttTopic, levels)) ?? this.#fallback;
      const perClient = route === null || route.keyParts.some((part) => 'whole' in part && part.whole === 'clientId');
      cached = { route, levels, target: perClient ? null : targetOf(route, buildKey(route, mqttTopic, levels, '')) };
      if (this.#cache.size >= ROUTE_CACHE_ENTRIES_MAX) this.#cache.clear();
      this.#cache.set(mqttTopic, cached);
    }
    if (cached.target !== null) return cached.target;
    const { route, levels } = cached;
    if (route === null) return null;
    return targetOf(route, buildKey(route, mqttTopic, levels, clientId));
  }
}

function targetOf(route: CompiledRoute, key: string): RouteTarget {
  return route.sparkplug === undefined ? { topic: route.topic, key } : { topic: route.topic, key, sparkplug: route.sparkplug };
}

function buildKey(route: CompiledRoute, mqttTopic: string, levels: string[], clientId: string): string {
  let key = '';
  for (const part of route.keyParts) {
    if ('literal' in part) key += part.literal;
    else if ('level' in part) key += levels[part.level] ?? '';
    else key += part.whole === 'topic' ? mqttTopic : clientId;
  }
  return key;
}

export interface ReverseRoute {
  /** Log topic followed. */
  topic: string;
  qos: 0 | 1 | 2;
  /** The MQTT topic for a record with this key (null when the record has none). */
  mqttTopic(key: string | null): string | null;
}

export function compileReverseRoutes(config: Pick<MqttConfig, 'reverseRoutes'>, maxTopicLevels: number): ReverseRoute[] {
  const seen = new Set<string>();
  return config.reverseRoutes.map((route, index) => {
    const where = `mqtt.reverseRoutes[${index}]`;
    checkLogTopic(route.topic, `${where}.topic`);
    if (seen.has(route.topic)) throw new TributaryError('CONFIG_INVALID', `${where}.topic: log topic "${route.topic}" is reverse-routed twice`, { where });
    seen.add(route.topic);
    const parts = compileTemplate(route.mqttTopic, `${where}.mqttTopic`, (name) => {
      if (name === 'topic') return { literal: route.topic };
      if (name === 'key') return { whole: 'topic' };
      return null;
    });
    const usesKey = parts.some((part) => 'whole' in part);
    const example = parts.map((part) => ('literal' in part ? part.literal : 'key')).join('');
    const problem = topicNameProblem(example, maxTopicLevels);
    if (problem !== null) throw new TributaryError('CONFIG_INVALID', `${where}.mqttTopic: ${problem}`, { where });
    return {
      topic: route.topic,
      qos: route.qos,
      mqttTopic(key: string | null): string | null {
        if (usesKey && (key === null || key.length === 0)) return null;
        return parts.map((part) => ('literal' in part ? part.literal : key)).join('');
      },
    };
  });
}
