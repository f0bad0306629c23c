// `tributary config check|schema|defaults|hash-password`: validate a device's YAML before
// deploying it, print the JSON Schema for editors, print every key with its default, or
// hash a password for the file (scrypt for MQTT and SASL PLAIN, or a SCRAM credential).
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { defaultConfig, loadConfigFile } from '../../shared/config/load.ts';
import { configJsonSchema } from '../../shared/config/json-schema.ts';
import { hashPassword } from '../auth/password-hash.ts';
import { formatScramCredential, makeScramCredential, type ScramHash } from '../auth/scram-credential.ts';
import { readPassword } from './ops/read-password.ts';

const USAGE = `usage:
  tributary config check --config FILE   validate FILE and print the effective configuration
  tributary config schema                print the JSON Schema of the YAML file
  tributary config defaults              print the built-in defaults as YAML
  tributary config hash-password         read a password (typed, or on standard input) and
                                         print its hash for mqtt.authentication.users and
                                         kafka.sasl.users (passwordHash, SASL PLAIN)
    --scram-sha-256 | --scram-sha-512    print instead its SCRAM credential for kafka.sasl.users
                                         and mqtt.authentication.users (scramSha256 or
                                         scramSha512): salt, iterations and keys`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, 'scram-sha-256': { type: 'boolean' }, 'scram-sha-512': { type: 'boolean' } }, allowPositionals: true, strict: true });
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
      const scram: ScramHash[] = [...(values['scram-sha-256'] ? ['sha256' as const] : []), ...(values['scram-sha-512'] ? ['sha512' as const] : [])];
      if (scram.length > 1) {
        console.error('tributary config hash-password: give --scram-sha-256 or --scram-sha-512, not both (a user may have both keys: run it twice)');
        return 2;
      }
      const password = await readPassword();
      if (password === '') {
        console.error('tributary config hash-password: the password is empty');
        return 1;
      }
      console.log(scram[0] === undefined ? await hashPassword(password) : formatScramCredential(await makeScramCredential(scram[0], password)));
      return 0;
    }
    default:
      console.error(`tributary config: unknown action "${action}"\n${USAGE}`);
      return 2;
  }
}
