// MQTT permissions as ACLs (mqtt.permissions: acls), against a real authorizer on a temporary
// data directory: a publish is WRITE and a subscription READ on the TOPIC named by the MQTT
// topic or filter as written, PREFIXED names cover the topics below them, and a DENY refuses
// any wildcard filter that reaches a topic it names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authorizer } from '../../../edge/auth/acls/authorizer.ts';
import { AclOperation, PatternType, PermissionType, ResourceType, type AclBinding } from '../../../edge/auth/acls/acl.ts';
import { userPrincipal } from '../../../edge/auth/principal.ts';
import { AclTopicPermissions, filterReachesPrefix } from '../../../edge/mqtt/acl-permissions.ts';
import { MqttUsers } from '../../../edge/mqtt/users.ts';
import { isTributaryError } from '../../../shared/errors.ts';

const directory = mkdtempSync(join(tmpdir(), 'tributary-mqtt-acls-'));
test.after(() => rmSync(directory, { recursive: true, force: true }));

const acl = (resourceName: string, patternType: number, operation: number, permissionType: number, principal = 'User:device-2'): AclBinding => ({ resourceType: ResourceType.TOPIC, resourceName, patternType, principal, host: '*', operation, permissionType });

test('filterReachesPrefix: whether a filter matches some topic under a PREFIXED name', () => {
  const cases: Array<[string, string, boolean]> = [
    ['sensors/#', 'sensors/device-9/', true],
    ['#', 'sensors/device-9/', true],
    ['sensors/+/temp', 'sensors/device-9/', true],
    ['sensors/+/temp', 'sensors/dev', true],
    ['sensors/device-2/#', 'sensors/device-9/', false],
    ['commands/#', 'sensors/', false],
    ['sensors', 'sensors/device-9/', false],
    ['+/x', '$SYS/', false],
  ];
  for (const [filter, prefix, expected] of cases) assert.is(filterReachesPrefix(filter, prefix), expected, `${filter} under ${prefix}`);
});

test('publish is WRITE and subscribe READ on the MQTT name; a DENY carves its topics out of every wildcard filter that reaches them', async () => {
  const authorizer = await Authorizer.open(directory, { superUsers: ['User:root'], allowIfNoAclFound: false });
  await authorizer.create([
    acl('sensors/', PatternType.PREFIXED, AclOperation.WRITE, PermissionType.ALLOW),
    acl('sensors/', PatternType.PREFIXED, AclOperation.READ, PermissionType.ALLOW),
    acl('sensors/device-9/', PatternType.PREFIXED, AclOperation.READ, PermissionType.DENY),
    acl('status', PatternType.LITERAL, AclOperation.READ, PermissionType.ALLOW),
  ]);
  const device = new AclTopicPermissions(authorizer, userPrincipal('device-2'), '127.0.0.1');
  assert.ok(device.mayPublish('sensors/device-2/temp'));
  assert.not.ok(device.mayPublish('commands/device-2'), 'no ACL names it, and allowIfNoAclFound is false');
  assert.not.ok(device.mayPublish('status'), 'READ does not grant WRITE');
  assert.ok(device.maySubscribe('status'));
  assert.ok(device.maySubscribe('sensors/device-2/#'));
  assert.not.ok(device.maySubscribe('sensors/device-9/temp'), 'denied by name');
  assert.not.ok(device.maySubscribe('sensors/#'), 'reaches device-9\'s topics, which are denied');
  assert.not.ok(device.maySubscribe('sensors/+/temp'), 'reaches sensors/device-9/temp');
  const other = new AclTopicPermissions(authorizer, userPrincipal('device-3'), '127.0.0.1');
  assert.not.ok(other.mayPublish('sensors/device-3/temp'), 'the ACLs name device-2 only');
  const root = new AclTopicPermissions(authorizer, userPrincipal('root'), '127.0.0.1');
  assert.ok(root.maySubscribe('#'), 'a super user may do anything');
});

test('with mqtt.permissions: acls, a user\'s YAML filters are refused at start, naming the key, rather than ignored', () => {
  try {
    MqttUsers.fromConfig({ allowAnonymous: true, users: [{ username: 'pat', passwordHash: 'scrypt$16384$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5', publish: ['sensors/#'] }] }, 16, { permissions: 'acls' });
    assert.unreachable('accepted');
  } catch (error) {
    assert.ok(isTributaryError(error, 'CONFIG_INVALID'), String(error));
    assert.match((error as Error).message, /^mqtt\.authentication\.users\[0\]\.publish: mqtt\.permissions is acls/);
  }
});

test.run();
