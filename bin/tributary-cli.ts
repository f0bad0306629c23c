// `tributary SUBCOMMAND …`: each subcommand is a module with `main(argv)`, loaded only
// when it runs, so that `tributary link` does not pay for the storage engine.
import { isTributaryError } from '../shared/errors.ts';

interface Command {
  main(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  edge: { summary: 'run the edge broker (Kafka protocol, MQTT, durable log, admin HTTP)', load: () => import('../edge/cli/edge-command.ts') },
  config: { summary: 'check a YAML config, print its JSON Schema or the defaults', load: () => import('../edge/cli/config-command.ts') },
  link: { summary: 'fault-injecting TCP link: bandwidth cap, latency, cuts and black holes', load: () => import('../firmware-sim/link/cli.ts') },
  sim: { summary: 'simulate a fleet of MQTT devices publishing CBOR, SenML or JSON readings', load: () => import('../firmware-sim/sim/cli.ts') },
  topics: { summary: 'list, create, describe, alter and delete topics over the Kafka protocol', load: () => import('../edge/cli/topics-command.ts') },
  produce: { summary: 'send records from stdin or --value, optionally encoded as CBOR or SenML', load: () => import('../edge/cli/produce-command.ts') },
  consume: { summary: 'print records, with CBOR and SenML payloads decoded as JSON', load: () => import('../edge/cli/consume-command.ts') },
  users: { summary: 'list, add and remove SCRAM users over the Kafka protocol (as kafka-configs --entity-type users)', load: () => import('../edge/cli/users-command.ts') },
  groups: { summary: 'list and describe consumer groups with their lag; reset their offsets', load: () => import('../edge/cli/groups-command.ts') },
  pipelines: { summary: "a running edge's pipelines: list, status per partition, reset", load: () => import('../edge/cli/pipelines-command.ts') },
  mirror: { summary: "run an edge's mirror as its own process; 'mirror status': its state and backlog", load: () => import('../mirror/cli.ts') },
  central: { summary: 'run a single-node central cluster (the Kafka protocol only) for development and small fleets', load: () => import('../cloud/central-command.ts') },
  fleet: { summary: "the fleet view: every edge's last contact, backlog, throughput and errors, from its heartbeats", load: () => import('../cloud/fleet-command.ts') },
};

async function printHelp(): Promise<void> {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`);
  console.log(`usage: tributary <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'tributary <command> --help' for a command's options.`);
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    await printHelp();
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`tributary: unknown command "${name}"; 'tributary --help' lists the commands`);
    return 2;
  }
  const command = await entry.load();
  return command.main(rest);
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  // Operating errors (bad config, data directory in use, port taken) are the user's to
  // fix: print the message alone. Anything else is a bug: print the stack.
  if (isTributaryError(error) || (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    console.error(`tributary: ${(error as Error).message}`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
}
