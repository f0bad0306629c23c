// Topic metadata in SQLite (<dataDir>/meta/topics.sqlite): name, topic id (a UUID, for
// Kafka Metadata v10+, KIP-516), partition count and the settings that differ from the
// defaults. Only the overrides are stored, so that a changed default in the YAML applies
// to every topic that did not set it.
import type { TopicOverride } from '../../shared/config/topic-config.ts';
import { validateTopicOverride as validateOverrideGenerated } from '../../shared/config/validate-config.generated.js';
import type { GeneratedValidator } from '../../shared/config/validator-source.ts';
import { TributaryError } from '../../shared/errors.ts';
import { Database } from '../../shared/sqlite.ts';

/** Partitions per topic; the same bound the configuration schema sets. */
export const PARTITIONS_PER_TOPIC_MAX = 1024;

// Generated ahead of time from TopicOverrideSchema, with the configuration's validator.
const validateOverride = validateOverrideGenerated as GeneratedValidator<TopicOverride>;

/** Checks a settings override against the configuration schema; the error names every bad key. */
export function validateTopicOverride(topic: string, override: unknown): TopicOverride {
  if (!validateOverride(override)) {
    const problems = (validateOverride.errors ?? []).map((error) => {
      const key = error.instancePath.split('/').slice(1).join('.');
      const extra = error.keyword === 'additionalProperties' ? `unknown key ${String(error.params.additionalProperty)}` : error.message;
      return key ? `${key}: ${extra}` : String(extra);
    });
    throw new TributaryError('INVALID_TOPIC_CONFIG', `topic "${topic}": ${problems.join('; ')}`, { topic, problems });
  }
  return override;
}

export interface TopicRow {
  name: string;
  topicId: string;
  partitions: number;
  overrides: TopicOverride;
}

interface StoredRow {
  name: string;
  topic_id: string;
  partitions: number;
  config_overrides: string;
}

export class TopicCatalog {
  readonly #db: Database;

  private constructor(db: Database) {
    this.#db = db;
  }

  static async open(path: string): Promise<TopicCatalog> {
    const db = await Database.open(path);
    await db.exec(`CREATE TABLE IF NOT EXISTS topics (
      name TEXT PRIMARY KEY,
      topic_id TEXT NOT NULL UNIQUE,
      partitions INTEGER NOT NULL CHECK (partitions >= 1),
      config_overrides TEXT NOT NULL,
      created_at_ms INTEGER NOT NULL
    )`);
    return new TopicCatalog(db);
  }

  async list(): Promise<TopicRow[]> {
    const rows = await this.#db.all<StoredRow>('SELECT name, topic_id, partitions, config_overrides FROM topics ORDER BY name');
    return rows.map((row) => ({ name: row.name, topicId: row.topic_id, partitions: row.partitions, overrides: JSON.parse(row.config_overrides) as TopicOverride }));
  }

  /** Inserts the rows in one transaction: all of them or none. */
  async insertAll(rows: readonly TopicRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#db.transaction(async () => {
      for (const row of rows) await this.#db.run('INSERT INTO topics (name, topic_id, partitions, config_overrides, created_at_ms) VALUES (?, ?, ?, ?, ?)', [row.name, row.topicId, row.partitions, JSON.stringify(row.overrides), Date.now()]);
    });
  }

  async delete(name: string): Promise<void> {
    await this.#db.run('DELETE FROM topics WHERE name = ?', [name]);
  }

  async setPartitions(name: string, partitions: number): Promise<void> {
    await this.#db.run('UPDATE topics SET partitions = ? WHERE name = ?', [partitions, name]);
  }

  async setOverrides(name: string, overrides: TopicOverride): Promise<void> {
    await this.#db.run('UPDATE topics SET config_overrides = ? WHERE name = ?', [JSON.stringify(overrides), name]);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
