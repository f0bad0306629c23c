// `tributary mirror --config FILE`: runs the mirror of an edge as its own process, with the
// edge's YAML file (mirror.embedded: false), until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { TributaryError } from '../shared/errors.ts';
import { loadConfigFile } from '../shared/config/load.ts';
import { createLogger } from '../shared/logger.ts';
import { runUntilSignal } from '../shared/run-until-signal.ts';
import { startStandaloneMirror } from './standalone.ts';

const USAGE = `usage: tributary mirror --config FILE
       tributary mirror status [--admin URL] [--json]

Runs the mirror of an edge as its own process, with the edge's YAML file. The file must
set mirror.embedded: false, or the edge daemon runs the mirror itself. The mirror reads
the edge log through the edge's Kafka listener (listeners.kafka, or mirror.source.bootstrap)
and serves /health, /metrics and /api/mirror on mirror.http. Stops cleanly (exit 0) on
SIGTERM or SIGINT. 'tributary mirror status' shows a running mirror's state.`;

export async function main(argv: string[]): Promise<number> {
  // `tributary mirror status` asks a running edge about its mirror (an operator command).
  if (argv[0] === 'status') return (await import('../edge/cli/ops/mirror-status-command.ts')).main(argv);
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.config) throw new TributaryError('CONFIG_INVALID', 'tributary mirror needs --config FILE: the edge\'s YAML file with its mirror section', {});
  const config = loadConfigFile(values.config);
  const logger = createLogger({ level: config.log.level, name: 'tributary-mirror' });
  return runUntilSignal(logger, () => startStandaloneMirror(config, logger.child({ part: 'mirror' })));
}
