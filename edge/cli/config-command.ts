// `tributary config check|schema|defaults`: validate a device's YAML before deploying it,
// print the JSON Schema for editors, or print every key with its default.
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { configJsonSchema, defaultConfig, loadConfigFile } from '../../shared/config/load.ts';


const USAGE = `usage:
  tributary config check --config FILE   validate FILE and print the effective configuration
  tributary config schema                print the JSON Schema of the YAML file
  tributary config defaults              print the built-in defaults as YAML`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  const [action] = positionals;
  if (values.help || action === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  switch (action) {
    case 'check': {
      if (!values.config) {
        console.error('tributary config check: --config FILE is required');
        return 2;
      }
      process.stdout.write(stringify(loadConfigFile(values.config)));
      return 0;
    }
    case 'schema':
      process.stdout.write(configJsonSchema());
      return 0;
    case 'defaults':
      process.stdout.write(stringify(defaultConfig()));
      return 0;
    default:
      console.error(`tributary config: unknown action "${action}"\n${USAGE}`);
      return 2;
  }
}
