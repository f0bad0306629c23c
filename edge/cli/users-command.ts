// `tributary users list|add|remove`: the SCRAM users of a running broker, over the Kafka
// protocol (DescribeUserScramCredentials, AlterUserScramCredentials; KIP-554), as Kafka's
// kafka-configs --entity-type users manages them. The password is read here, salted and
// hashed here (RFC 5802 §3: SaltedPassword := Hi(password, salt, i)); it never crosses the
// wire, and the broker keeps only StoredKey and ServerKey. The connection signs in with
// TRIBUTARY_KAFKA_SASL_USERNAME/PASSWORD and TRIBUTARY_KAFKA_CA_FILE, as the other commands do.
import { randomBytes } from 'node:crypto';
import { alterUserScramCredentialsV0, describeUserScramCredentialsV0, ResponseError, type Connection } from '@platformatic/kafka';
import { TributaryError } from '../../shared/errors.ts';
import { kafkaError } from '../../shared/kafka/protocol/error-codes.ts';
import { saltedPassword, SCRAM_HASHES, SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, SCRAM_ITERATIONS_NEW, SCRAM_MECHANISMS, SCRAM_SALT_BYTES, scramHashOfKafkaType, type ScramHash } from '../auth/scram-credential.ts';
import { withBrokerConnection } from './kafka-admin-client.ts';
import { DEFAULT_BOOTSTRAP, optionInvalid, parseBootstrap } from './ops/bootstrap.ts';
import { integerOption, parseActionCommand, requiredName } from './ops/command-args.ts';
import { readPassword } from './ops/read-password.ts';

const USAGE = `usage: tributary users <action> [options]

actions:
  list                                        SCRAM users with their mechanisms and iterations
  add NAME --scram-sha-256|--scram-sha-512 [--iterations N]
                                              add a user or replace its credential; the password
                                              is typed, or read from standard input
  remove NAME [--mechanism SCRAM-SHA-256|SCRAM-SHA-512]
                                              remove a user's credential (every one without --mechanism)

options:
  --bootstrap HOST:PORT   the broker (default ${DEFAULT_BOOTSTRAP})
  --json                  print JSON instead of text (list)

The broker must allow the signed-in user ALTER (add, remove) and DESCRIBE (list) on the
cluster: a super user, or ACLs. Users of kafka.sasl.users in the broker's file are changed
there, not here. Replacing or removing a credential closes that user's open connections.`;

const OPTIONS = {
  bootstrap: { type: 'string', short: 'b', default: DEFAULT_BOOTSTRAP },
  'scram-sha-256': { type: 'boolean' },
  'scram-sha-512': { type: 'boolean' },
  iterations: { type: 'string' },
  mechanism: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface UserResult {
  user: string;
  errorCode: number;
  errorMessage?: string | null | undefined;
}

export interface UserListing {
  user: string;
  credentials: { mechanism: string; iterations: number }[];
}

/** The response, also when some of its results carry an error (the client throws those). */
async function answered<Response>(call: () => Promise<Response>): Promise<Response> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ResponseError && (error as ResponseError & { response?: unknown }).response !== undefined) return (error as ResponseError & { response: Response }).response;
    throw error;
  }
}

/** A refused result as one sentence: the user, Kafka's error name and the broker's message. */
function refusal(action: string, result: UserResult): TributaryError {
  const detail = result.errorMessage ? `: ${result.errorMessage}` : '';
  const name = kafkaError(result.errorCode)?.name ?? `error ${result.errorCode}`;
  return new TributaryError('BROKER_REQUEST_FAILED', `${action} "${result.user}" failed: the broker answered ${name}${detail}`, { user: result.user, kafkaError: name });
}

async function describe(connection: Connection, names: string[] | null): Promise<UserListing[]> {
  const response = await answered(() => describeUserScramCredentialsV0.api.async(connection, names === null ? null : names.map((name) => ({ name }))));
  if (response.errorCode !== 0) throw refusal('listing users as', { user: '', errorCode: response.errorCode, errorMessage: response.errorMessage });
  return response.results.map((result) => {
    if (result.errorCode !== 0) throw refusal('describing', result);
    const credentials = result.credentialInfos.map((info) => ({ mechanism: SCRAM_MECHANISMS[scramHashOfKafkaType(info.mechanism) ?? 'sha256'].name, iterations: info.iterations }));
    return { user: result.user, credentials };
  });
}

async function alter(connection: Connection, action: string, deletions: { name: string; mechanism: number }[], upsertions: { name: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }[]): Promise<void> {
  const response = await answered(() => alterUserScramCredentialsV0.api.async(connection, deletions, upsertions));
  for (const result of response.results) if (result.errorCode !== 0) throw refusal(action, result);
}

function hashOfMechanismName(text: string): ScramHash {
  const hash = SCRAM_HASHES.find((candidate) => SCRAM_MECHANISMS[candidate].name === text.toUpperCase());
  if (hash === undefined) throw optionInvalid(`--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, not "${text}"`);
  return hash;
}

export async function main(argv: string[]): Promise<number> {
  const command = parseActionCommand(argv, OPTIONS, USAGE);
  if (command.usageExitCode !== undefined) return command.usageExitCode;
  const { action, rest, values } = command;
  const bootstrap = parseBootstrap(values.bootstrap);
  switch (action) {
    case 'list': {
      const users = await withBrokerConnection(bootstrap, 'listing users', (connection) => describe(connection, null));
      users.sort((a, b) => a.user.localeCompare(b.user));
      if (values.json) console.log(JSON.stringify(users, null, 2));
      else for (const { user, credentials } of users) console.log(`${user}\t${credentials.map((credential) => `${credential.mechanism} (${credential.iterations} iterations)`).join(', ')}`);
      return 0;
    }
    case 'add': {
      const name = requiredName('user', undefined, rest);
      const hashes = SCRAM_HASHES.filter((hash) => values[`scram-${hash.replace('sha', 'sha-')}` as 'scram-sha-256' | 'scram-sha-512']);
      if (hashes.length !== 1) throw optionInvalid('give one of --scram-sha-256 or --scram-sha-512 (a user may hold both: run add twice)');
      const hash = hashes[0]!;
      const iterations = integerOption('iterations', values.iterations, SCRAM_ITERATIONS_MIN) ?? SCRAM_ITERATIONS_NEW;
      if (iterations > SCRAM_ITERATIONS_MAX) throw optionInvalid(`--iterations must be at most ${SCRAM_ITERATIONS_MAX} (Kafka's limit), not ${iterations}`);
      const password = await readPassword();
      if (password === '') throw optionInvalid('the password is empty');
      const salt = randomBytes(SCRAM_SALT_BYTES);
      const salted = await saltedPassword(hash, password, salt, iterations);
      await withBrokerConnection(bootstrap, `adding user ${name}`, (connection) => alter(connection, 'adding', [], [{ name, mechanism: SCRAM_MECHANISMS[hash].kafkaType, iterations, salt, saltedPassword: salted }]));
      console.log(`${name}: ${SCRAM_MECHANISMS[hash].name} credential stored (${iterations} iterations)`);
      return 0;
    }
    case 'remove': {
      const name = requiredName('user', undefined, rest);
      const removed = await withBrokerConnection(bootstrap, `removing user ${name}`, async (connection) => {
        const hashes = values.mechanism === undefined
          ? (await describe(connection, [name]))[0]!.credentials.map((credential) => hashOfMechanismName(credential.mechanism))
          : [hashOfMechanismName(values.mechanism)];
        // One credential a request: Kafka refuses a user named twice in one (DUPLICATE_RESOURCE).
        for (const hash of hashes) await alter(connection, 'removing', [{ name, mechanism: SCRAM_MECHANISMS[hash].kafkaType }], []);
        return hashes.map((hash) => SCRAM_MECHANISMS[hash].name);
      });
      console.log(`${name}: ${removed.join(' and ')} credential${removed.length > 1 ? 's' : ''} removed`);
      return 0;
    }
    default:
      throw optionInvalid(`unknown action "${action}"; 'tributary users --help' lists them`);
  }
}
