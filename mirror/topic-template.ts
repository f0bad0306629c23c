// The name of a target topic on the central cluster, made from a template such as
// "{edge}.{topic}" (the default): {edge} is the edge's node.id, {topic} the edge topic.
// The same template language names the central topics of reverse rules
// ("commands.{edge}"), where only {edge} is known.
import { TributaryError } from '../shared/errors.ts';
import { isValidTopicName } from '../shared/kafka/topic-name.ts';

const PLACEHOLDER_PATTERN = /\{([^}]*)\}/g;

export interface TemplateValues {
  edge: string;
  topic?: string;
}

/**
 * Checks a template once, at start, so that a typo is reported with its config key rather
 * than at the first record. `placeholders` are the names the template may use.
 */
export function checkTemplate(template: string, placeholders: readonly (keyof TemplateValues)[], where: string, required: readonly (keyof TemplateValues)[] = []): void {
  for (const match of template.matchAll(PLACEHOLDER_PATTERN)) {
    const name = match[1]!;
    if (!(placeholders as readonly string[]).includes(name)) {
      throw new TributaryError('CONFIG_INVALID', `${where}: unknown placeholder {${name}} in "${template}" (known: ${placeholders.map((p) => `{${p}}`).join(', ')})`, { key: where });
    }
  }
  for (const name of required) {
    if (!template.includes(`{${name}}`)) {
      throw new TributaryError('CONFIG_INVALID', `${where}: "${template}" must contain {${name}}, or every topic would go to the same target`, { key: where });
    }
  }
  const sample = template.replace(PLACEHOLDER_PATTERN, 'x');
  if (!isValidTopicName(sample)) {
    throw new TributaryError('CONFIG_INVALID', `${where}: "${template}" does not make a valid Kafka topic name (letters, digits, ".", "_" and "-", at most 249)`, { key: where });
  }
}

/** Fills in a template; throws when the result is not a valid Kafka topic name. */
export function renderTopicName(template: string, values: TemplateValues): string {
  const name = template.replace(PLACEHOLDER_PATTERN, (whole, key: string) => {
    const value = values[key as keyof TemplateValues];
    if (value === undefined) throw new TributaryError('CONFIG_INVALID', `topic template "${template}": {${key}} has no value here`, { template });
    return value;
  });
  if (!isValidTopicName(name)) {
    throw new TributaryError('CONFIG_INVALID', `topic template "${template}" gives "${name}", which is not a valid Kafka topic name (letters, digits, ".", "_" and "-", at most 249)`, { template, name });
  }
  return name;
}
