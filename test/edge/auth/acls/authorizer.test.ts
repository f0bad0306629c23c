// The authorizer's rules, on real files: super users, deny over allow, implied operations,
// literal, prefixed and wildcard patterns, hosts, the default for unmatched resources, and
// ACLs that survive a reopen while a damaged file stops the start with the file's name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authorizer } from '../../../../edge/auth/acls/authorizer.ts';
import { AclOperation, PatternType, PermissionType, ResourceType, type AclBinding, type AclBindingFilter } from '../../../../edge/auth/acls/acl.ts';
import { ANONYMOUS, userPrincipal } from '../../../../edge/auth/principal.ts';

const directories: string[] = [];
async function dataDir(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'tributary-acl-'));
  directories.push(directory);
  return directory;
}
test.after(async () => { await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true }))); });

const settings = { superUsers: ['User:admin'], allowIfNoAclFound: false };

async function failure(promise: Promise<unknown>): Promise<string> {
  return promise.then(() => 'resolved', (error: Error) => error.message);
}

function acl(overrides: Partial<AclBinding>): AclBinding {
  return { resourceType: ResourceType.TOPIC, resourceName: 'readings', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: AclOperation.READ, permissionType: PermissionType.ALLOW, ...overrides };
}

const ANY_FILTER: AclBindingFilter = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permissionType: PermissionType.ANY };

function may(authorizer: Authorizer, user: string | undefined, operation: number, resourceName = 'readings', resourceType: number = ResourceType.TOPIC, host = '10.0.0.5'): boolean {
  return authorizer.authorize({ principal: user === undefined ? ANONYMOUS : userPrincipal(user), host, operation, resourceType, resourceName });
}

test('a super user may do anything; anyone else nothing until an ACL allows it, when allowIfNoAclFound is false', async () => {
  const authorizer = await Authorizer.open(await dataDir(), settings);
  assert.ok(may(authorizer, 'admin', AclOperation.ALTER, 'kafka-cluster', ResourceType.CLUSTER));
  assert.not.ok(may(authorizer, 'alice', AclOperation.READ));
  assert.not.ok(may(authorizer, undefined, AclOperation.DESCRIBE));
  authorizer.configure({ superUsers: [], allowIfNoAclFound: true });
  assert.ok(may(authorizer, 'alice', AclOperation.READ), 'with no ACL on the resource the default decides');
  assert.ok(authorizer.allowsEverything);
});

test('READ implies DESCRIBE for an allow, not for a deny; a deny wins over an allow; ALL covers every operation', async () => {
  const authorizer = await Authorizer.open(await dataDir(), settings);
  await authorizer.create([acl({})]);
  assert.ok(may(authorizer, 'alice', AclOperation.READ));
  assert.ok(may(authorizer, 'alice', AclOperation.DESCRIBE), 'READ implies DESCRIBE');
  assert.not.ok(may(authorizer, 'alice', AclOperation.WRITE));
  await authorizer.create([acl({ operation: AclOperation.DESCRIBE, permissionType: PermissionType.DENY })]);
  assert.not.ok(may(authorizer, 'alice', AclOperation.DESCRIBE), 'a deny wins');
  assert.ok(may(authorizer, 'alice', AclOperation.READ), 'denying DESCRIBE does not deny READ');
  await authorizer.create([acl({ principal: 'User:bob', operation: AclOperation.ALL })]);
  assert.ok(may(authorizer, 'bob', AclOperation.DELETE));
  await authorizer.create([acl({ principal: 'User:*', operation: AclOperation.ALL, permissionType: PermissionType.DENY, host: '10.0.0.9' })]);
  assert.not.ok(may(authorizer, 'bob', AclOperation.DELETE, 'readings', ResourceType.TOPIC, '10.0.0.9'), 'a deny for every user from one host');
  assert.ok(may(authorizer, 'bob', AclOperation.DELETE, 'readings', ResourceType.TOPIC, '10.0.0.5'));
});

test('prefixed and wildcard patterns; a resource named by any ACL is closed to those not listed even when the default allows', async () => {
  const authorizer = await Authorizer.open(await dataDir(), { superUsers: [], allowIfNoAclFound: true });
  await authorizer.create([
    acl({ resourceName: 'sensors.', patternType: PatternType.PREFIXED, operation: AclOperation.WRITE }),
    acl({ resourceType: ResourceType.GROUP, resourceName: '*', principal: 'User:bob' }),
  ]);
  assert.ok(may(authorizer, 'alice', AclOperation.WRITE, 'sensors.temperature'));
  assert.not.ok(may(authorizer, 'carol', AclOperation.WRITE, 'sensors.x'), 'carol is not listed under the prefix');
  assert.ok(may(authorizer, 'carol', AclOperation.WRITE, 'sensors'), 'sensors lacks the dot of the prefix, so no ACL names it and the default allows');
  assert.not.ok(may(authorizer, 'carol', AclOperation.WRITE, 'sensors.temperature'), 'carol is not listed on a resource with ACLs');
  assert.ok(may(authorizer, 'carol', AclOperation.WRITE, 'other-topic'), 'no ACL names other-topic: the default allows');
  assert.ok(may(authorizer, 'bob', AclOperation.READ, 'any-group', ResourceType.GROUP));
  assert.not.ok(may(authorizer, 'alice', AclOperation.READ, 'any-group', ResourceType.GROUP));
});

test('bad bindings are refused each with its reason while the good ones of the same call are stored', async () => {
  const authorizer = await Authorizer.open(await dataDir(), settings);
  const outcomes = await authorizer.create([
    acl({}),
    acl({ principal: 'alice' }),
    acl({ resourceType: ResourceType.CLUSTER, resourceName: 'edge' }),
    acl({ patternType: PatternType.MATCH }),
    acl({ resourceType: ResourceType.ANY }),
  ]);
  assert.is(outcomes[0], undefined);
  assert.match(outcomes[1]!, /not a principal/);
  assert.match(outcomes[2]!, /kafka-cluster/);
  assert.match(outcomes[3]!, /neither LITERAL/);
  assert.match(outcomes[4]!, /cannot carry ACLs/);
  assert.is(authorizer.describe(ANY_FILTER).length, 1);
});

test('filters select as Kafka\'s do (MATCH finds the ACLs that apply to a name), deletes are durable, and a reopen reads the ACLs back', async () => {
  const directory = await dataDir();
  const authorizer = await Authorizer.open(directory, settings);
  await authorizer.create([acl({}), acl({ resourceName: 'read', patternType: PatternType.PREFIXED }), acl({ resourceName: '*' }), acl({ resourceName: 'other' })]);
  const match = authorizer.describe({ ...ANY_FILTER, resourceType: ResourceType.TOPIC, resourceName: 'readings', patternType: PatternType.MATCH });
  assert.equal(match.map((binding) => binding.resourceName).sort(), ['*', 'read', 'readings']);
  const literal = authorizer.describe({ ...ANY_FILTER, resourceName: 'readings', patternType: PatternType.LITERAL });
  assert.is(literal.length, 1);
  const removed = await authorizer.delete([{ ...ANY_FILTER, resourceName: 'other' }, { ...ANY_FILTER, patternType: PatternType.PREFIXED }]);
  assert.equal(removed.map((bindings) => bindings.length), [1, 1]);
  const reopened = await Authorizer.open(directory, settings);
  assert.equal(reopened.describe(ANY_FILTER).map((binding) => binding.resourceName).sort(), ['*', 'readings']);
});

test('concurrent changes all land', async () => {
  const directory = await dataDir();
  const authorizer = await Authorizer.open(directory, settings);
  await Promise.all(Array.from({ length: 20 }, (_, index) => authorizer.create([acl({ resourceName: `topic-${index}` })])));
  assert.is((await Authorizer.open(directory, settings)).describe(ANY_FILTER).length, 20);
});

test('a damaged ACL file and a super user that is no principal stop the start, naming the file or the key', async () => {
  const directory = await dataDir();
  await writeFile(join(directory, 'acls.json'), '{"version":1,"acls":[{"resourceType":2}');
  assert.match(await failure(Authorizer.open(directory, settings)), /acls\.json does not parse as JSON/);
  await writeFile(join(directory, 'acls.json'), JSON.stringify({ version: 1, acls: [acl({ principal: 'nobody' })] }));
  assert.match(await failure(Authorizer.open(directory, settings)), /acls\.json: acls\[0\]: "nobody" is not a principal/);
  assert.match(await failure(Authorizer.open(await dataDir(), { superUsers: ['admin'], allowIfNoAclFound: false })), /kafka\.authorization\.superUsers\[0\]: "admin" is not a principal/);
});

test.run();
