// What the explorers' CI tests share: the seed of a run and how its violations are shown.
import type { ExploreReport } from './explorer.ts';

/** Violations shown in a failed test's message; the rest are counted. */
const VIOLATIONS_SHOWN = 5;

/** A new seed each run, so that CI runs explore different samples; CRASH_EXPLORE_SEED sets it to check a run's states again. */
export function ciSeed(): number {
  return process.env.CRASH_EXPLORE_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.CRASH_EXPLORE_SEED);
}

/** A run's seed and its first violations, for a failed assertion's message. */
export function describeReport(report: ExploreReport): string {
  const shown = report.violations.slice(0, VIOLATIONS_SHOWN).map((violation) => `state ${violation.stateNumber} (after ${violation.crashPoint}, ${violation.choice}): ${violation.problems.join('; ')}`);
  return `seed ${report.seed} (CRASH_EXPLORE_SEED): ${report.violations.length} violations in ${report.statesChecked} states\n${shown.join('\n')}`;
}
