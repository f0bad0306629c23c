// MQTT 3.1.1 topic names and topic filters (section 4.7): validation and matching.
// Validation here works on decoded strings; the byte-level rules (well-formed UTF-8,
// no U+0000) are checked on the wire by connection-guard.ts before a packet is parsed.

/** The longest topic an MQTT string can carry: a two-byte length prefix [MQTT-4.7.3-3]. */
export const TOPIC_BYTES_MAX = 65_535;

const SEPARATOR = '/';
const SINGLE_LEVEL_WILDCARD = '+';
const MULTI_LEVEL_WILDCARD = '#';

/** Why a topic name is not acceptable in a PUBLISH, or null if it is. */
export function topicNameProblem(topic: string, maxTopicLevels: number): string | null {
  // [MQTT-4.7.3-1] At least one character long.
  if (topic.length === 0) return 'a topic name must not be empty';
  // [MQTT-4.7.3-2] No U+0000.
  if (topic.includes('\u0000')) return 'a topic name must not contain U+0000';
  // [MQTT-3.3.2-2] Wildcards are for subscriptions only.
  if (topic.includes(SINGLE_LEVEL_WILDCARD) || topic.includes(MULTI_LEVEL_WILDCARD)) return `topic name "${topic}" must not contain the wildcards + or #`;
  if (levelCount(topic) > maxTopicLevels) return `topic name "${topic}" has more than ${maxTopicLevels} levels`;
  if (Buffer.byteLength(topic) > TOPIC_BYTES_MAX) return 'a topic name must not exceed 65535 bytes';
  return null;
}

/** Why a topic filter is not acceptable in a SUBSCRIBE or UNSUBSCRIBE, or null if it is. */
export function topicFilterProblem(filter: string, maxTopicLevels: number): string | null {
  // [MQTT-4.7.3-1] At least one character long.
  if (filter.length === 0) return 'a topic filter must not be empty';
  // [MQTT-4.7.3-2] No U+0000.
  if (filter.includes('\u0000')) return 'a topic filter must not contain U+0000';
  const levels = filter.split(SEPARATOR);
  if (levels.length > maxTopicLevels) return `topic filter "${filter}" has more than ${maxTopicLevels} levels`;
  for (let index = 0; index < levels.length; index++) {
    const level = levels[index]!;
    // [MQTT-4.7.1-2] '#' stands alone in the last level.
    if (level.includes(MULTI_LEVEL_WILDCARD) && (level !== MULTI_LEVEL_WILDCARD || index !== levels.length - 1)) {
      return `in topic filter "${filter}" the wildcard # must be the last character and occupy a whole level`;
    }
    // [MQTT-4.7.1-3] '+' occupies an entire level.
    if (level.includes(SINGLE_LEVEL_WILDCARD) && level !== SINGLE_LEVEL_WILDCARD) {
      return `in topic filter "${filter}" the wildcard + must occupy a whole level`;
    }
  }
  if (Buffer.byteLength(filter) > TOPIC_BYTES_MAX) return 'a topic filter must not exceed 65535 bytes';
  return null;
}

export function levelCount(topic: string): number {
  let count = 1;
  for (let index = 0; index < topic.length; index++) if (topic.charCodeAt(index) === 0x2f) count++;
  return count;
}

/** A compiled filter for repeated matching against many topics (routes, refused filters). */
export class TopicFilter {
  readonly filter: string;
  readonly #levels: string[];
  readonly #endsWithMultiLevel: boolean;
  readonly #startsWithWildcard: boolean;

  constructor(filter: string) {
    this.filter = filter;
    const levels = filter.split(SEPARATOR);
    this.#endsWithMultiLevel = levels[levels.length - 1] === MULTI_LEVEL_WILDCARD;
    this.#levels = this.#endsWithMultiLevel ? levels.slice(0, -1) : levels;
    this.#startsWithWildcard = filter.charCodeAt(0) === 0x2b || filter.charCodeAt(0) === 0x23;
  }

  /** Matches the levels of a topic already split on '/'. */
  matchesLevels(topic: string, topicLevels: readonly string[]): boolean {
    if (this.#startsWithWildcard && topic.charCodeAt(0) === 0x24) return false;
    const levels = this.#levels;
    if (this.#endsWithMultiLevel ? topicLevels.length < levels.length : topicLevels.length !== levels.length) return false;
    for (let index = 0; index < levels.length; index++) {
      const level = levels[index];
      if (level !== SINGLE_LEVEL_WILDCARD && level !== topicLevels[index]) return false;
    }
    return true;
  }

  matches(topic: string): boolean {
    return this.matchesLevels(topic, topic.split(SEPARATOR));
  }
}
