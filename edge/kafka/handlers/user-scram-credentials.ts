// DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554): the SCRAM users of
// kafka.sasl.users and of the credential store, as kafka-configs --entity-type users and
// the AdminClient read and change them. Who may call them (DESCRIBE or ALTER on the
// cluster) is checked before these run (authorization/api-checks.ts). The answers follow
// Kafka 4.4's controller (ScramControlManager) and metadata image (ScramImage):
//   - a user named twice in one request: DUPLICATE_RESOURCE for that user, nothing of it applies;
//   - an empty name or an iteration count outside 4096-16384 (RFC 7677 §4, Kafka's
//     ScramMechanism bounds): UNACCEPTABLE_CREDENTIAL; a mechanism other than 1 (SCRAM-SHA-256)
//     or 2 (SCRAM-SHA-512): UNSUPPORTED_SASL_MECHANISM;
//   - describing or deleting a credential that does not exist: RESOURCE_NOT_FOUND;
//   - the valid alterations of a request are stored together, once, on flash, before the answer.
// Beyond Kafka: a user of kafka.sasl.users is the operator's file's to change, so altering it
// is POLICY_VIOLATION (kafka-users.ts says why); a salt under 8 bytes, a salted password of
// the wrong length and a name over 256 characters are UNACCEPTABLE_CREDENTIAL, as the
// credential could not be used; more users than the store holds is POLICY_VIOLATION.
import type { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from '../../../shared/kafka/apis/alter-user-scram-credentials.ts';
import type { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse } from '../../../shared/kafka/apis/describe-user-scram-credentials.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import { kafkaErrorCodeOf } from '../../../shared/kafka/error-mapping.ts';
import { isTributaryError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { clientKeyOf, digest, formatScramCredential, hmac, parseScramCredential, SCRAM_HASHES, SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, SCRAM_MECHANISMS, scramHashOfKafkaType } from '../../auth/scram-credential.ts';
import { SCRAM_USERNAME_CHARS_MAX } from '../../auth/scram-credential-store.ts';
import type { ScramUser } from '../../auth/scram-mechanism.ts';
import type { KafkaUsers, StoredUsersChange } from '../sasl/kafka-users.ts';
import type { SaslUser } from '../sasl/users.ts';

/** A salt shorter than this makes precomputed tables practical; parseScramCredential refuses it too. */
const SALT_BYTES_MIN = 8;

type Result = AlterUserScramCredentialsResponse['results'][number];
type Upsertion = AlterUserScramCredentialsRequest['upsertions'][number];

/** The mechanisms and iteration counts of a user's SCRAM credentials; a PLAIN-only user has none. */
function credentialInfosOf(user: SaslUser): Array<{ mechanism: number; iterations: number }> {
  const infos: Array<{ mechanism: number; iterations: number }> = [];
  for (const hash of SCRAM_HASHES) {
    const text = user[SCRAM_MECHANISMS[hash].configKey];
    const credential = text === undefined ? undefined : parseScramCredential(hash, text);
    if (credential !== undefined && typeof credential !== 'string') infos.push({ mechanism: SCRAM_MECHANISMS[hash].kafkaType, iterations: credential.iterations });
  }
  return infos;
}

export function handleDescribeUserScramCredentials(users: KafkaUsers, request: DescribeUserScramCredentialsRequest): DescribeUserScramCredentialsResponse {
  const byName = new Map(users.all.map((user) => [user.username, user]));
  const results: DescribeUserScramCredentialsResponse['results'] = [];
  if (request.users === null || request.users.length === 0) {
    // Every user that holds a SCRAM credential, as Kafka lists every user of its image.
    for (const user of byName.values()) {
      const credentialInfos = credentialInfosOf(user);
      if (credentialInfos.length > 0) results.push({ user: user.username, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  }
  const asked = request.users.map(({ name }) => name);
  for (const name of new Set(asked)) {
    const credentialInfos = byName.has(name) ? credentialInfosOf(byName.get(name)!) : [];
    if (asked.indexOf(name) !== asked.lastIndexOf(name)) {
      results.push({ user: name, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${name}`, credentialInfos: [] });
    } else if (credentialInfos.length === 0) {
      results.push({ user: name, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${name}`, credentialInfos: [] });
    } else {
      results.push({ user: name, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos });
    }
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
}

/** Why a name or mechanism cannot be altered at all, or undefined. */
function nameOrMechanismProblem(users: KafkaUsers, name: string, mechanism: number): Omit<Result, 'user'> | undefined {
  if (name === '') return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' };
  if (name.length > SCRAM_USERNAME_CHARS_MAX) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `Username must be at most ${SCRAM_USERNAME_CHARS_MAX} characters` };
  if (scramHashOfKafkaType(mechanism) === undefined) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: `Unknown SCRAM mechanism ${mechanism}: 1 is SCRAM-SHA-256, 2 is SCRAM-SHA-512` };
  if (users.inFile(name)) {
    return { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `User "${name}" is defined in kafka.sasl.users of the configuration file, which wins over credentials stored by this API; change it there and reload` };
  }
  return undefined;
}

function upsertionProblem(upsertion: Upsertion): Omit<Result, 'user'> | undefined {
  const hash = scramHashOfKafkaType(upsertion.mechanism)!;
  if (upsertion.iterations < SCRAM_ITERATIONS_MIN) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `Too few iterations: ${upsertion.iterations}, the least is ${SCRAM_ITERATIONS_MIN} (RFC 7677)` };
  if (upsertion.iterations > SCRAM_ITERATIONS_MAX) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `Too many iterations: ${upsertion.iterations}, the most is ${SCRAM_ITERATIONS_MAX}` };
  if (upsertion.salt.length < SALT_BYTES_MIN) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `The salt must be at least ${SALT_BYTES_MIN} bytes, not ${upsertion.salt.length}` };
  const { keyBytes, name } = SCRAM_MECHANISMS[hash];
  if (upsertion.saltedPassword.length !== keyBytes) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `The salted password must be ${keyBytes} bytes for ${name}, not ${upsertion.saltedPassword.length}` };
  return undefined;
}

/** The stored text of an upsertion: StoredKey := H(HMAC(SaltedPassword, "Client Key")), ServerKey := HMAC(SaltedPassword, "Server Key") (RFC 5802 §3). */
function credentialTextOf(upsertion: Upsertion): string {
  const hash = scramHashOfKafkaType(upsertion.mechanism)!;
  const salted = upsertion.saltedPassword;
  return formatScramCredential({ hash, iterations: upsertion.iterations, salt: upsertion.salt, storedKey: digest(hash, clientKeyOf(hash, salted)), serverKey: hmac(hash, salted, 'Server Key') });
}

/** The request planned against the stored users: one result per user named, in the order first named. */
function planAlterations(users: KafkaUsers, request: AlterUserScramCredentialsRequest, stored: readonly ScramUser[]): StoredUsersChange<Result[]> {
  const named = [...request.deletions, ...request.upsertions].map(({ name }) => name);
  const problems = new Map<string, Omit<Result, 'user'>>();
  for (const name of named) {
    if (named.indexOf(name) !== named.lastIndexOf(name)) problems.set(name, { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' });
  }
  const next = new Map(stored.map((user) => [user.username, { ...user }]));
  for (const deletion of request.deletions) {
    if (problems.has(deletion.name)) continue;
    const problem = nameOrMechanismProblem(users, deletion.name, deletion.mechanism);
    const user = next.get(deletion.name);
    const key = problem === undefined ? SCRAM_MECHANISMS[scramHashOfKafkaType(deletion.mechanism)!].configKey : undefined;
    if (problem !== undefined) problems.set(deletion.name, problem);
    else if (user === undefined || user[key!] === undefined) problems.set(deletion.name, { errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' });
    else {
      delete user[key!];
      if (user.scramSha256 === undefined && user.scramSha512 === undefined) next.delete(deletion.name);
    }
  }
  for (const upsertion of request.upsertions) {
    if (problems.has(upsertion.name)) continue;
    const problem = nameOrMechanismProblem(users, upsertion.name, upsertion.mechanism) ?? upsertionProblem(upsertion);
    if (problem !== undefined) {
      problems.set(upsertion.name, problem);
      continue;
    }
    const user = next.get(upsertion.name) ?? { username: upsertion.name };
    user[SCRAM_MECHANISMS[scramHashOfKafkaType(upsertion.mechanism)!].configKey] = credentialTextOf(upsertion);
    next.set(upsertion.name, user);
  }
  const answer = [...new Set(named)].map((user) => ({ user, ...(problems.get(user) ?? { errorCode: ErrorCode.NONE, errorMessage: null }) }));
  const changed = answer.some((result) => result.errorCode === ErrorCode.NONE);
  return { next: changed ? [...next.values()] : undefined, answer };
}

export async function handleAlterUserScramCredentials(users: KafkaUsers, request: AlterUserScramCredentialsRequest, logger: Logger): Promise<AlterUserScramCredentialsResponse> {
  try {
    const results = await users.change((stored) => planAlterations(users, request, stored));
    const altered = results.filter((result) => result.errorCode === ErrorCode.NONE).map((result) => result.user);
    if (altered.length > 0) logger.info({ users: altered }, 'SCRAM credentials altered');
    return { throttleTimeMs: 0, results };
  } catch (error) {
    // Nothing of the request applied: every user named gets the reason.
    logger.warn({ err: error }, 'SCRAM credentials not altered');
    const errorCode = isTributaryError(error, 'SCRAM_CREDENTIALS_LIMIT') ? ErrorCode.POLICY_VIOLATION : kafkaErrorCodeOf(error);
    const names = new Set([...request.deletions, ...request.upsertions].map(({ name }) => name));
    return { throttleTimeMs: 0, results: [...names].map((user) => ({ user, errorCode, errorMessage: (error as Error).message })) };
  }
}
