// Changes to a topic's own settings, by Kafka config name: CreateTopics and AlterConfigs set
// the whole list (whatever is not named falls back to the defaults); IncrementalAlterConfigs
// (KIP-339) sets, deletes, appends to or subtracts from one config at a time. A change
// either applies whole or not at all, and the error names the config and what was wrong.
import type { TopicConfig, TopicOverride } from '../../../shared/config/topic-config.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { ConfigType } from './config-entry.ts';
import { TOPIC_CONFIGS } from './topic-configs.ts';

/** IncrementalAlterConfigs operations (Kafka's AlterConfigOp.OpType). */
export const ConfigOperation = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface ConfigChange {
  name: string;
  operation: number;
  value: string | null;
}

export type ChangeOutcome = { override: TopicOverride } | { errorCode: number; errorMessage: string };

function refused(errorCode: number, errorMessage: string): ChangeOutcome {
  return { errorCode, errorMessage };
}

/**
 * The topic's own settings after `changes`, starting from `current` (`{}` to replace them
 * all); `config` is the topic's resolved config, which APPEND and SUBTRACT extend.
 */
export function changeTopicSettings(current: TopicOverride, config: TopicConfig, changes: readonly ConfigChange[]): ChangeOutcome {
  const names = new Set<string>();
  for (const change of changes) {
    if (names.has(change.name)) return refused(ErrorCode.INVALID_REQUEST, `config ${change.name} is named more than once`);
    names.add(change.name);
  }
  const override = structuredClone(current);
  for (const change of changes) {
    const definition = TOPIC_CONFIGS.get(change.name);
    if (definition === undefined) return refused(ErrorCode.INVALID_CONFIG, `unknown topic config ${change.name} (known: ${[...TOPIC_CONFIGS.keys()].join(', ')})`);
    if (change.operation === ConfigOperation.DELETE) {
      definition.remove(override);
      continue;
    }
    if (change.value === null) return refused(ErrorCode.INVALID_REQUEST, `config ${change.name} is given no value`);
    let value: string;
    if (change.operation === ConfigOperation.SET) {
      value = change.value;
    } else if (change.operation === ConfigOperation.APPEND || change.operation === ConfigOperation.SUBTRACT) {
      if (definition.type !== ConfigType.LIST) return refused(ErrorCode.INVALID_CONFIG, `config ${change.name} is not a list, so values cannot be appended to it or subtracted from it`);
      const items = definition.read(config).split(',').filter((item) => item !== '');
      const given = change.value.split(',').map((item) => item.trim()).filter((item) => item !== '');
      value = (change.operation === ConfigOperation.APPEND ? [...items, ...given.filter((item) => !items.includes(item))] : items.filter((item) => !given.includes(item))).join(',');
    } else {
      return refused(ErrorCode.INVALID_REQUEST, `config ${change.name}: operation ${change.operation} is not SET (0), DELETE (1), APPEND (2) or SUBTRACT (3)`);
    }
    const problem = definition.write(override, value);
    if (problem !== undefined) return refused(ErrorCode.INVALID_CONFIG, `invalid value ${JSON.stringify(value)} for ${change.name}: ${problem}`);
  }
  return { override };
}
