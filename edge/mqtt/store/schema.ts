// The MQTT tables of <dataDir>/meta/mqtt.sqlite and their versions, kept in PRAGMA
// user_version. Version 1 was written by the aedes-based broker; version 2 adds what
// MQTT 5 sessions need (their expiry interval and when they were left), and reads every
// row version 1 wrote.
import type { Database } from '../../../shared/sqlite.ts';
import { TributaryError } from '../../../shared/errors.ts';

export const SCHEMA_VERSION = 2;

const VERSION_1 = `
CREATE TABLE IF NOT EXISTS mqtt_retained (topic TEXT PRIMARY KEY, packet BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS mqtt_subscriptions (
  client_id TEXT NOT NULL, filter TEXT NOT NULL, options BLOB NOT NULL,
  PRIMARY KEY (client_id, filter));
CREATE TABLE IF NOT EXISTS mqtt_sessions (client_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS mqtt_outgoing (
  client_id TEXT NOT NULL, sequence INTEGER NOT NULL, packet BLOB NOT NULL,
  PRIMARY KEY (client_id, sequence));
CREATE TABLE IF NOT EXISTS mqtt_incoming (
  client_id TEXT NOT NULL, message_id INTEGER NOT NULL, packet BLOB NOT NULL,
  PRIMARY KEY (client_id, message_id));
CREATE TABLE IF NOT EXISTS mqtt_wills (client_id TEXT PRIMARY KEY, packet BLOB NOT NULL);
`;

/** Columns version 2 adds to mqtt_sessions: the Session Expiry Interval and when the client left (ms since the epoch, NULL while connected). */
const VERSION_2_SESSION_COLUMNS = [['expiry_seconds', 'INTEGER'], ['disconnected_at', 'INTEGER']] as const;

/** Creates or upgrades the tables; refuses a database written by a newer version. */
export async function migrate(database: Database): Promise<void> {
  const row = await database.get<{ user_version: number }>('PRAGMA user_version');
  const version = row?.user_version ?? 0;
  if (version > SCHEMA_VERSION) {
    throw new TributaryError('MQTT_SESSION_STORE_UNSUPPORTED', `${database.path}: MQTT session tables have version ${version}; this build understands up to ${SCHEMA_VERSION}`, { path: database.path, version });
  }
  await database.exec(VERSION_1);
  const columns = new Set((await database.all<{ name: string }>('PRAGMA table_info(mqtt_sessions)')).map((column) => column.name));
  for (const [name, type] of VERSION_2_SESSION_COLUMNS) {
    if (!columns.has(name)) await database.exec(`ALTER TABLE mqtt_sessions ADD COLUMN ${name} ${type}`);
  }
  await database.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
}
