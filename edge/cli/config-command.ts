// `tributary config check|schema|defaults|hash-password`: validate a device's YAML before
// deploying it, print the JSON Schema for editors, print every key with its default, or
// hash an MQTT password for the file.
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { configJsonSchema, defaultConfig, loadConfigFile } from '../../shared/config/load.ts';
import { hashPassword } from '../auth/password-hash.ts';
import { readPassword } from './ops/read-password.ts';

const USAGE = `usage:
  tributary config check --config FILE   validate FILE and print the effective configuration
  tributary config schema                print the JSON Schema of the YAML file
  tributary config defaults              print the built-in defaults as YAML
  tributary config hash-password         read a password (typed, or on standard input) and
                                         print its hash for mqtt.authentication.users`;

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
    case 'hash-password': {
      const password = await readPassword();
      if (password === '') {
        console.error('tributary config hash-password: the password is empty');
        return 1;
      }
      console.log(await hashPassword(password));
      return 0;
    }
    default:
      console.error(`tributary config: unknown action "${action}"\n${USAGE}`);
      return 2;
  }
}
