// A librdkafka consumer (python3-confluent-kafka) in a classic group goes on through a
// SIGKILL of the daemon and its restart on the same data directory and port, as Kafka's
// members go on through a coordinator failover: the same member id, the same generation (its
// commits after the restart are accepted), no rebalance callback, no UNKNOWN_MEMBER_ID or
// ILLEGAL_GENERATION in its group log, and every record once, beyond at most a record whose
// commit the kill cut short.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Daemon } from '../../../helpers/daemon.ts';
import { freePort } from '../../../helpers/apache-kafka.ts';
import { requirePythonModule } from '../../../helpers/system-programs.ts';
import { MemberProcess, type MemberLine } from '../clients/support/member-process.ts';

const SCRIPT = resolve(import.meta.dirname, 'python/steady_member.py');
const TOPIC = 'readings';
const RECORD_COUNT = 300;
/** Read before the kill: enough that the member is well into the topic. */
const RECORDS_BEFORE_KILL = 60;
/** Between two records, so that the kill lands mid-consumption. */
const RECORD_DELAY_MS = 20;
/** A member's wait for the daemon's restart and its own catching up, on a loaded machine. */
const CATCH_UP_TIMEOUT_MS = 120_000;

interface StampedLine extends MemberLine { afterRestart: boolean }

test('a librdkafka group member keeps its member id and generation across a SIGKILL of the daemon, without a rebalance', async () => {
  const python = requirePythonModule('confluent_kafka');
  const port = await freePort();
  const config = { listeners: { kafka: { port } }, topics: { overrides: { [TOPIC]: { partitions: 2 } } } };
  let daemon = await Daemon.start({ config });
  const bootstrap = `127.0.0.1:${port}`;
  let member: MemberProcess | undefined;
  try {
    execFileSync(python, [SCRIPT, bootstrap, 'produce', TOPIC, String(RECORD_COUNT)], { timeout: 60_000 });
    const lines: StampedLine[] = [];
    let restarted = false;
    member = new MemberProcess('steady', python, [SCRIPT, bootstrap, 'consume', TOPIC, 'steady', String(RECORD_DELAY_MS)], {
      adapter: {
        stdout(text) {
          const line = JSON.parse(text) as StampedLine;
          lines.push({ ...line, afterRestart: restarted });
          return line;
        },
      },
    });
    await member.waitFor(() => member!.records.length >= RECORDS_BEFORE_KILL, `${RECORDS_BEFORE_KILL} records read`, CATCH_UP_TIMEOUT_MS);
    await daemon.kill();
    // What the member had committed when the daemon died; a record past it may be read again.
    const committedBeforeKill = new Map<number, number>();
    for (const line of lines) if (line.event === 'committed') committedBeforeKill.set(line.partition!, Math.max(committedBeforeKill.get(line.partition!) ?? 0, Number(line.offset)));
    restarted = true;
    daemon = await daemon.restart({ config });
    await member.waitFor(() => new Set(member!.records.map((record) => `${record.partition}@${record.offset}`)).size === RECORD_COUNT, 'every record read', CATCH_UP_TIMEOUT_MS);
    await member.waitFor(() => lines.filter((line) => line.event === 'committed' && line.afterRestart).length > 0, 'a commit after the restart', CATCH_UP_TIMEOUT_MS);

    const assignments = lines.filter((line) => line.event === 'assigned' || line.event === 'revoked' || line.event === 'lost');
    assert.equal(assignments.map((line) => line.event), ['assigned'], `one assignment, never revoked or lost:\n${member.history.join(' ')}`);
    // librdkafka 2.0.2's group log (debug=cgrp) names the member id it is given and the generation of every heartbeat and commit.
    const log = member.stderr;
    const memberIds = new Set([...log.matchAll(/updating member id "[^"]*" -> "([^"]+)"/g)].map((match) => match[1]));
    assert.is(memberIds.size, 1, `one member id throughout: ${[...memberIds].join(', ')}`);
    const generations = new Set([...log.matchAll(/generation[- ]id (-?\d+)/g)].map((match) => match[1]));
    assert.equal([...generations], ['1'], 'every heartbeat and commit, before the kill and after the restart, is of generation 1');
    assert.is([...log.matchAll(/JoinGroup response: .*\(no error\)/g)].length, 1, 'joined once');
    const lostMembership = log.split('\n').filter((text) => /Broker: Unknown member|Broker: Specified group generation id is not valid|Broker: Group rebalance in progress/.test(text));
    assert.equal(lostMembership, [], 'the group log shows no UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION or REBALANCE_IN_PROGRESS');
    const committedAfter = lines.filter((line) => line.event === 'committed' && line.afterRestart);
    assert.ok(committedAfter.length > 0, 'commits after the restart are accepted');
    // Read twice only where the kill cut a commit short: at or past what was committed before it.
    const repeated = member.records.filter((record, index) => member!.records.findIndex((other) => other.partition === record.partition && other.offset === record.offset) !== index);
    for (const record of repeated) {
      assert.ok(Number(record.offset) >= (committedBeforeKill.get(record.partition) ?? 0), `p${record.partition}@${record.offset} was read again though committed before the kill`);
    }
    assert.ok(repeated.length <= 2, `at most the record in flight per partition is read again, not ${repeated.length}`);
  } finally {
    await member?.kill();
    await daemon.cleanup();
  }
});

test.run();
