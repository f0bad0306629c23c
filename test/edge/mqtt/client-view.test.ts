// The client view's list of sessions kept offline, on the engine's own sessions: connected
// clients are not in it, expiry is counted from when the client left, and at most `max`
// are listed while all are counted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Broker } from '../../../edge/mqtt/broker/broker.ts';
import { Session, type SessionEnvironment } from '../../../edge/mqtt/broker/session.ts';
import { offlineSessions } from '../../../edge/mqtt/client-view.ts';
import { SESSION_NEVER_EXPIRES } from '../../../edge/mqtt/packets/constants.ts';

const LEFT_AT_MS = Date.parse('2026-01-31T12:00:00Z');
// Listing reads a session's fields only; nothing is delivered or stored.
const environment = {} as SessionEnvironment;

function session(clientId: string, expirySeconds: number, leftAtMs: number | undefined): Session {
  const kept = new Session(clientId, expirySeconds, environment);
  kept.disconnectedAtMs = leftAtMs;
  return kept;
}

/** The two parts of the broker the view reads: its connections and its sessions. */
function brokerWith(sessions: Session[], connectedIds: string[]): Broker {
  return {
    connections: new Set(connectedIds.map((clientId) => ({ connected: true, clientId }))),
    sessions: new Map(sessions.map((entry) => [entry.clientId, entry])),
  } as unknown as Broker;
}

test('sessions of connected clients are left out; an expiring one ends its interval after its client left', () => {
  const broker = brokerWith([session('b-away', 600, LEFT_AT_MS), session('a-here', 600, undefined), session('c-forever', SESSION_NEVER_EXPIRES, LEFT_AT_MS)], ['a-here']);
  const { total, sessions } = offlineSessions(broker, 10);
  assert.is(total, 2);
  assert.equal(sessions.map((entry) => [entry.clientId, entry.sessionState, entry.disconnectedAt, entry.sessionExpiresAt]), [
    ['b-away', 'offline', '2026-01-31T12:00:00.000Z', '2026-01-31T12:10:00.000Z'],
    ['c-forever', 'offline', '2026-01-31T12:00:00.000Z', null],
  ]);
});

test('at most `max` sessions are listed, and every one is counted', () => {
  const broker = brokerWith(Array.from({ length: 30 }, (_, index) => session(`device-${String(index).padStart(2, '0')}`, 60, LEFT_AT_MS)), []);
  const { total, sessions } = offlineSessions(broker, 7);
  assert.equal([total, sessions.length], [30, 7]);
  assert.equal(offlineSessions(broker, 0), { total: 30, sessions: [] });
});

test.run();
