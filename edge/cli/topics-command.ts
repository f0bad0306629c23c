// `tributary topics list|create|describe|delete|alter`: topic administration over the
// Kafka protocol, in the manner of Kafka's kafka-topics.sh, against any broker that speaks
// it (the edge, the embedded central, or a real Kafka cluster).
import { ConfigResourceTypes, IncrementalAlterConfigOperationTypes, type Admin } from '@platformatic/kafka';
import { TributaryError } from '../../shared/errors.ts';
import { partitionOffsets, requireTopic, withAdmin, type PartitionOffsets, type TopicLayout } from './kafka-admin-client.ts';
import { DEFAULT_BOOTSTRAP, optionInvalid, parseBootstrap } from './ops/bootstrap.ts';
import { integerOption, pairsOption, parseCommandArgs, requiredName } from './ops/command-args.ts';
import { ProgressBar } from './ops/progress-bar.ts';

const USAGE = `usage: tributary topics <action> [options]

actions:
  list                               topic names, one a line
  describe [--topic NAME]            partitions, offsets and configs (every topic without --topic)
  create --topic NAME [--partitions N] [--config KEY=VALUE]… [--if-not-exists]
  delete --topic NAME [--if-exists]
  alter --topic NAME [--partitions N] [--config KEY=VALUE]…

options:
  --bootstrap HOST:PORT   the broker (default ${DEFAULT_BOOTSTRAP})
  --json                  print JSON instead of text (list, describe)

Configs use Kafka's names: retention.ms, retention.bytes, segment.bytes, segment.ms,
max.message.bytes, flush.ms.`;

const OPTIONS = {
  bootstrap: { type: 'string', short: 'b', default: DEFAULT_BOOTSTRAP },
  topic: { type: 'string', short: 't' },
  partitions: { type: 'string', short: 'p' },
  config: { type: 'string', multiple: true },
  'if-not-exists': { type: 'boolean' },
  'if-exists': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Describing more topics than this at once is a dump, not a description; ask for one topic. */
const TOPICS_DESCRIBED_MAX = 1000;

export interface TopicDescriptionJson {
  name: string;
  id: string;
  partitions: { partition: number; leader: number; logStartOffset: string; logEndOffset: string; records: string }[];
  configs: Record<string, string | null>;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const bootstrap = parseBootstrap(values.bootstrap);
  switch (action) {
    case 'list': {
      const names = await withAdmin(bootstrap, 'listing topics', async (admin) => (await admin.listTopics()).sort());
      if (values.json) console.log(JSON.stringify(names));
      else if (names.length > 0) console.log(names.join('\n'));
      return 0;
    }
    case 'describe': {
      const only = values.topic ?? rest[0];
      const described = await withAdmin(bootstrap, 'describing topics', async (admin) => {
        const names = only === undefined ? (await admin.listTopics()).sort() : [only];
        if (names.length > TOPICS_DESCRIBED_MAX) throw optionInvalid(`${names.length} topics exist; describe at most ${TOPICS_DESCRIBED_MAX} at once (--topic NAME)`);
        const progress = new ProgressBar({ label: 'describing', total: names.length, unit: 'topics' });
        const result: TopicDescriptionJson[] = [];
        for (const name of names) {
          const layout = await requireTopic(admin, name);
          const [offsets, configs] = await Promise.all([partitionOffsets(admin, layout), topicConfigs(admin, name)]);
          result.push(describeJson(layout, offsets, configs));
          progress.advance();
        }
        progress.finish();
        return result;
      });
      console.log(values.json ? JSON.stringify(described, null, 2) : described.map(describeText).join('\n'));
      return 0;
    }
    case 'create': {
      const name = requiredName('topic', values.topic, rest);
      const partitions = integerOption('partitions', values.partitions, 1);
      const configs = pairsOption('config', values.config).map(([configName, value]) => ({ name: configName, value }));
      const created = await withAdmin(bootstrap, `creating topic ${name}`, async (admin) => {
        if (values['if-not-exists'] && (await admin.listTopics()).includes(name)) return undefined;
        // -1 asks for the broker's default partition count (KIP-464).
        const [topic] = await admin.createTopics({ topics: [name], partitions: partitions ?? -1, replicas: -1, configs });
        return topic;
      });
      console.log(created ? `created topic ${name} with ${created.partitions} partition${created.partitions === 1 ? '' : 's'}` : `topic ${name} already exists`);
      return 0;
    }
    case 'delete': {
      const name = requiredName('topic', values.topic, rest);
      const deleted = await withAdmin(bootstrap, `deleting topic ${name}`, async (admin) => {
        const exists = (await admin.listTopics()).includes(name);
        if (!exists && values['if-exists']) return false;
        await requireTopic(admin, name);
        await admin.deleteTopics({ topics: [name] });
        return true;
      });
      console.log(deleted ? `deleted topic ${name}` : `no topic named ${name}; nothing deleted`);
      return 0;
    }
    case 'alter': {
      const name = requiredName('topic', values.topic, rest);
      const partitions = integerOption('partitions', values.partitions, 1);
      const configs = pairsOption('config', values.config);
      if (partitions === undefined && configs.length === 0) throw optionInvalid('topics alter needs --partitions N or --config KEY=VALUE');
      const changes = await withAdmin(bootstrap, `altering topic ${name}`, async (admin) => {
        const layout = await requireTopic(admin, name);
        const done: string[] = [];
        if (partitions !== undefined) {
          if (partitions < layout.partitions) throw optionInvalid(`topic ${name} has ${layout.partitions} partitions; partitions can be added, not removed`);
          if (partitions > layout.partitions) {
            await admin.createPartitions({ topics: [{ name, count: partitions, assignments: [] }] });
            done.push(`partitions ${layout.partitions} -> ${partitions}`);
          }
        }
        if (configs.length > 0) {
          if (!(await admin.listApis()).some((api) => api.name === 'IncrementalAlterConfigs')) {
            throw new TributaryError('BROKER_REQUEST_FAILED', `the broker does not change topic configs over the Kafka protocol (no IncrementalAlterConfigs); on a Tributary edge set topics.overrides.${name} in its YAML file`, { topic: name });
          }
          await admin.incrementalAlterConfigs({
            resources: [{
              resourceType: ConfigResourceTypes.TOPIC,
              resourceName: name,
              configs: configs.map(([configName, value]) => ({ name: configName, value, configOperation: IncrementalAlterConfigOperationTypes.SET })),
            }],
          });
          done.push(...configs.map(([configName, value]) => `${configName}=${value}`));
        }
        return done;
      });
      console.log(changes.length === 0 ? `topic ${name} unchanged` : `altered topic ${name}: ${changes.join(', ')}`);
      return 0;
    }
    default:
      throw new TributaryError('CLI_OPTION_INVALID', `unknown action "${action}"; tributary topics --help lists the actions`);
  }
}

async function topicConfigs(admin: Admin, name: string): Promise<Record<string, string | null>> {
  const [description] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }] });
  const configs: Record<string, string | null> = {};
  for (const config of description?.configs ?? []) configs[config.name] = config.value ?? null;
  return configs;
}

function describeJson(layout: TopicLayout, offsets: PartitionOffsets[], configs: Record<string, string | null>): TopicDescriptionJson {
  return {
    name: layout.name,
    id: layout.id,
    partitions: offsets.map((entry) => ({
      partition: entry.partition,
      leader: layout.leaders[entry.partition] ?? -1,
      logStartOffset: entry.logStartOffset.toString(),
      logEndOffset: entry.logEndOffset.toString(),
      records: (entry.logEndOffset - entry.logStartOffset).toString(),
    })),
    configs,
  };
}

function describeText(topic: TopicDescriptionJson): string {
  const configs = Object.entries(topic.configs).map(([name, value]) => `${name}=${value ?? ''}`).join(',');
  const lines = [`Topic: ${topic.name}\tTopicId: ${topic.id}\tPartitionCount: ${topic.partitions.length}\tConfigs: ${configs}`];
  for (const partition of topic.partitions) {
    lines.push(`\tPartition: ${partition.partition}\tLeader: ${partition.leader}\tLogStartOffset: ${partition.logStartOffset}\tLogEndOffset: ${partition.logEndOffset}\tRecords: ${partition.records}`);
  }
  return lines.join('\n');
}
