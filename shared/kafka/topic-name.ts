// Kafka's rule for topic names (org.apache.kafka.common.internals.Topic.validate): 1 to 249
// ASCII letters, digits, '.', '_' and '-', and not "." or "..". Every part that names or
// accepts a topic (the Kafka server, the log, the configuration schema, MQTT routes, the
// mirror's templates) checks it with what is here.
import { TributaryError } from '../errors.ts';

/** Kafka's limit on topic names (Topic.MAX_NAME_LENGTH). */
export const TOPIC_NAME_LENGTH_MAX = 249;

/** The characters of topic names, as a regular expression character class holds them. */
const TOPIC_NAME_CHARACTERS = 'A-Za-z0-9._-';

/**
 * The characters and length a topic name may have, as a pattern (the configuration's JSON
 * Schema uses its source). It admits "." and "..", which isValidTopicName refuses as well.
 */
export const TOPIC_NAME_PATTERN = new RegExp(`^[${TOPIC_NAME_CHARACTERS}]{1,${TOPIC_NAME_LENGTH_MAX}}$`);

/** The rule in words, for messages. */
export const TOPIC_NAME_RULE = `[${TOPIC_NAME_CHARACTERS}], at most ${TOPIC_NAME_LENGTH_MAX} characters, not "." or ".."`;

/** Why `name` is not a valid topic name, or undefined when it is. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name === '.' || name === '..') return 'cannot be "." or ".."';
  if (name.length > TOPIC_NAME_LENGTH_MAX) return `is ${name.length} characters long; the limit is ${TOPIC_NAME_LENGTH_MAX}`;
  if (!TOPIC_NAME_PATTERN.test(name)) return 'may contain only ASCII letters, digits, ".", "_" and "-"';
  return undefined;
}

export function isValidTopicName(name: string): boolean {
  return topicNameProblem(name) === undefined;
}

/** Throws INVALID_TOPIC, saying which part of the rule `name` breaks. */
export function validateTopicName(name: string): void {
  const problem = topicNameProblem(name);
  if (problem !== undefined) throw new TributaryError('INVALID_TOPIC', `topic name ${JSON.stringify(name)} ${problem}`, { topic: name });
}
