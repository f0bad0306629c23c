// Crash states of the SQLite databases, explored as the log store's are (../explorer.ts):
// the same crash model and sampling, recovered by the real stores and judged by checker.ts.
import { exploreWith, type ExploreOptions, type ExploreReport, type StateChecks } from '../explorer.ts';
import type { Recording } from '../trace.ts';
import { judgeSqlite, recoverSqlite, type SqliteObservation } from './checker.ts';

const SQLITE_CHECKS: StateChecks<SqliteObservation> = { recover: recoverSqlite, judge: judgeSqlite };

export function exploreSqlite(recording: Recording, options: ExploreOptions): Promise<ExploreReport> {
  return exploreWith(recording, options, SQLITE_CHECKS);
}
