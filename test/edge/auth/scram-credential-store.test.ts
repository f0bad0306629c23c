// The SCRAM credential store on its own: users written durably and read back by a new
// store, a damaged or foreign file refused at open with the file and the entry named, and
// the user limit enforced before anything is written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatScramCredential, makeScramCredential } from '../../../edge/auth/scram-credential.ts';
import { SCRAM_CREDENTIALS_FILE_NAME, SCRAM_USERS_MAX, ScramCredentialStore } from '../../../edge/auth/scram-credential-store.ts';
import { isTributaryError } from '../../../shared/errors.ts';

const carol = { username: 'carol', scramSha256: formatScramCredential(await makeScramCredential('sha256', 'carol-secret', undefined, 4096)) };

function withDirectory(run: (directory: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tributary-scram-store-'));
    try {
      await run(directory);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

async function openError(directory: string): Promise<unknown> {
  try {
    await ScramCredentialStore.open(directory);
  } catch (error) {
    return error;
  }
  return undefined;
}

test('a new data directory holds no user; users replaced are read back by the next store, keys only', withDirectory(async (directory) => {
  const store = await ScramCredentialStore.open(directory);
  assert.equal(store.users, []);
  await store.replace([carol]);
  assert.equal(store.users, [carol]);
  const reopened = await ScramCredentialStore.open(directory);
  assert.equal(reopened.users, [carol]);
  assert.not.ok(readFileSync(join(directory, SCRAM_CREDENTIALS_FILE_NAME), 'utf8').includes('carol-secret'));
  await reopened.replace([]);
  assert.equal((await ScramCredentialStore.open(directory)).users, []);
}));

test('a damaged file stops the open, naming the file and the entry', withDirectory(async (directory) => {
  const path = join(directory, SCRAM_CREDENTIALS_FILE_NAME);
  const cases: Array<[string, RegExp]> = [
    ['{"version": 1, "users": [', /does not parse|JSON/i],
    ['{"version": 2, "users": []}', /expected \{"version": 1, "users": \[\.\.\.\]\}/],
    [JSON.stringify({ version: 1, users: [{ username: 'carol' }] }), /users\[0\]: "carol" holds no credential/],
    [JSON.stringify({ version: 1, users: [{ username: '', scramSha256: carol.scramSha256 }] }), /users\[0\]: the user name is empty/],
    [JSON.stringify({ version: 1, users: [carol, carol] }), /users\[1\]: "carol" is listed twice/],
    [JSON.stringify({ version: 1, users: [{ username: 'carol', scramSha256: carol.scramSha256.replace('$4096$', '$100$') }] }), /users\[0\]: the SCRAM-SHA-256 credential of "carol": the iterations must be 4096-16384, not 100/],
    [JSON.stringify({ version: 1, users: [{ username: 'carol', scramSha512: carol.scramSha256 }] }), /users\[0\]: the SCRAM-SHA-512 credential of "carol": expected scram-sha-512\$/],
  ];
  for (const [text, message] of cases) {
    writeFileSync(path, text);
    const error = await openError(directory);
    assert.ok(isTributaryError(error, 'SCRAM_CREDENTIALS_FILE_CORRUPT'), `${text}: ${String(error)}`);
    assert.match((error as Error).message, message);
    assert.equal((error as { details: Record<string, unknown> }).details.path, path);
  }
}));

test(`more than ${SCRAM_USERS_MAX} users are refused and nothing is written`, withDirectory(async (directory) => {
  const store = await ScramCredentialStore.open(directory);
  await store.replace([carol]);
  const many = Array.from({ length: SCRAM_USERS_MAX + 1 }, (_, index) => ({ ...carol, username: `user-${index}` }));
  const error = await store.replace(many).then(() => undefined, (refusal: unknown) => refusal);
  assert.ok(isTributaryError(error, 'SCRAM_CREDENTIALS_LIMIT'), String(error));
  assert.equal(store.users, [carol]);
  assert.equal((await ScramCredentialStore.open(directory)).users, [carol]);
}));

test.run();
