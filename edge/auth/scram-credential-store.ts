// SCRAM credentials managed over the Kafka protocol (AlterUserScramCredentials, KIP-554) and
// `tributary users`, kept durably in one JSON file under the data directory
// (scram-credentials.json). Each user's entry holds what kafka.sasl.users[] would hold for
// it, in the same text form (scram-credential.ts): mechanism, iterations, salt, StoredKey
// and ServerKey, never a password nor the salted password it was derived from. The file is
// replaced whole and atomically (durable-list-file.ts, as the ACLs are), so after a power
// cut it holds the users before a change or after it; a change is acknowledged only once it
// is on flash.
import { join } from 'node:path';
import { ListFileWriter, readListFile, type ListFileFormat } from './durable-list-file.ts';
import { TributaryError } from '../../shared/errors.ts';
import { parseScramCredential, SCRAM_HASHES, SCRAM_MECHANISMS } from './scram-credential.ts';
import type { ScramUser } from './scram-mechanism.ts';

export const SCRAM_CREDENTIALS_FILE_NAME = 'scram-credentials.json';
/**
 * Users held at once: each authentication looks its user up in memory, and the file (about
 * 400 bytes a user with both mechanisms) must stay well under the durable JSON file's 1 MiB bound.
 */
export const SCRAM_USERS_MAX = 1_000;
/**
 * Longest user name, in characters: a SCRAM client-first message carries the name escaped
 * (up to 4 bytes a character) and must fit the 4 KiB the mechanism reads (SCRAM_MESSAGE_BYTES_MAX).
 */
export const SCRAM_USERNAME_CHARS_MAX = 256;

/** Why this stored user cannot be used, or undefined when it can. */
export function storedUserProblem(user: ScramUser): string | undefined {
  if (typeof user.username !== 'string' || user.username === '') return 'the user name is empty';
  if (user.username.length > SCRAM_USERNAME_CHARS_MAX) return `the user name is longer than ${SCRAM_USERNAME_CHARS_MAX} characters`;
  if (user.scramSha256 === undefined && user.scramSha512 === undefined) return `"${user.username}" holds no credential`;
  for (const hash of SCRAM_HASHES) {
    const text = user[SCRAM_MECHANISMS[hash].configKey];
    if (text === undefined) continue;
    const credential = typeof text === 'string' ? parseScramCredential(hash, text) : 'not a string';
    if (typeof credential === 'string') return `the ${SCRAM_MECHANISMS[hash].name} credential of "${user.username}": ${credential}`;
  }
  return undefined;
}

/** The file's format; each read checks its names afresh, so a user listed twice is refused. */
function scramCredentialsFormat(): ListFileFormat<ScramUser> {
  const names = new Set<string>();
  return {
    // A newer format is refused rather than misread.
    version: 1,
    key: 'users',
    corruptCode: 'SCRAM_CREDENTIALS_FILE_CORRUPT',
    lostOnRemoval: 'every user it holds is then gone',
    entryProblem(user) {
      const problem = storedUserProblem(user) ?? (names.has(user.username) ? `"${user.username}" is listed twice` : undefined);
      names.add(user.username);
      return problem;
    },
  };
}

export class ScramCredentialStore {
  readonly #path: string;
  readonly #writer: ListFileWriter;
  #users: readonly ScramUser[];

  private constructor(path: string, users: readonly ScramUser[]) {
    this.#path = path;
    this.#writer = new ListFileWriter(path, scramCredentialsFormat());
    this.#users = users;
  }

  /** Reads the users under `dataDir`; a damaged file stops the start, naming the file and the entry. */
  static async open(dataDir: string): Promise<ScramCredentialStore> {
    const path = join(dataDir, SCRAM_CREDENTIALS_FILE_NAME);
    return new ScramCredentialStore(path, await readListFile(path, scramCredentialsFormat()));
  }

  /** The stored users, each with the credentials of one or both mechanisms. */
  get users(): readonly ScramUser[] {
    return this.#users;
  }

  get path(): string {
    return this.#path;
  }

  /**
   * Makes `next` the stored users, durably; resolves once they are on flash. Readers see
   * them only then, so no one signs in with a credential a crash could take back.
   */
  replace(next: readonly ScramUser[]): Promise<void> {
    if (next.length > SCRAM_USERS_MAX) {
      return Promise.reject(new TributaryError('SCRAM_CREDENTIALS_LIMIT', `${next.length} SCRAM users exceed the limit of ${SCRAM_USERS_MAX}`, { limit: SCRAM_USERS_MAX }));
    }
    // Only what kafka.sasl.users[] would hold is stored, whatever else the objects carry.
    const users = next.map(({ username, scramSha256, scramSha512 }) => ({ username, scramSha256, scramSha512 }));
    return this.#writer.replace(users, () => {
      this.#users = next;
    });
  }
}
