// Outcomes of the Kafka client scenarios, recorded by the tests that run them, so that the
// README's compatibility matrix is rendered from what was measured (`npm run
// docs:clients`, scripts/client-matrix.ts) instead of written by hand. Each test file
// writes one JSON file per client under test-artifacts/client-results/, anew on each run:
// the client's name and exact version, the commit tested, and each scenario's outcome.
// One file per test file and client, so that test files running at once (and several test
// files covering one client) never write the same file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const CLIENT_RESULTS_DIRECTORY = join(ROOT, 'test-artifacts', 'client-results');

/** Versions of the Node.js clients as installed in node_modules. */
export function npmPackageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The scenarios of the matrix, in its column order. */
export const CLIENT_SCENARIOS = [
  { id: 'codec-none', title: 'none' },
  { id: 'codec-gzip', title: 'gzip' },
  { id: 'codec-snappy', title: 'snappy' },
  { id: 'codec-lz4', title: 'lz4' },
  { id: 'codec-zstd', title: 'zstd' },
  { id: 'group-member-killed', title: 'group, member killed' },
  { id: 'idempotent-link-cuts', title: 'idempotent producer, cut connections' },
  { id: 'offsets-across-restart', title: 'offsets across restart' },
  { id: 'tls', title: 'TLS' },
  { id: 'sasl-plain', title: 'SASL PLAIN' },
] as const;
export type ClientScenario = (typeof CLIENT_SCENARIOS)[number]['id'];

/** pass: the scenario ran and held; fail: it ran and did not; unsupported: the client (as installed) cannot do it. */
export type ScenarioOutcome = 'pass' | 'fail' | 'unsupported';

export interface ClientIdentity {
  /** The client's name, e.g. "confluent-kafka". */
  client: string;
  /** Its exact version as the client itself reports it. */
  version: string;
  /** More about the build, e.g. "librdkafka 2.0.2". */
  details?: string;
  /** Where this copy comes from, e.g. "Debian 12", "PyPI", "Go module proxy", "npm". */
  distribution: string;
}

export interface ScenarioResult { outcome: ScenarioOutcome; note?: string }

export interface ClientResultsFile extends ClientIdentity {
  /** The test file that measured it. */
  testFile: string;
  /** `git describe --always --dirty` of the tree tested. */
  commit: string;
  recordedAt: string;
  scenarios: Partial<Record<ClientScenario, ScenarioResult>>;
}

let treeCommit: string | undefined;
function commitTested(): string {
  try {
    treeCommit ??= execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    treeCommit = 'unknown';
  }
  return treeCommit;
}

/** File name of the results a test file records for a client. */
function clientResultsFileName(identity: Pick<ClientIdentity, 'client' | 'distribution'>, testFile: string): string {
  return `${`${identity.client}-${identity.distribution}-${testFile.replace(/\.test\.ts$/, '')}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.json`;
}

export class ClientResults {
  readonly #file: ClientResultsFile;
  readonly #path: string;

  /** Starts this run's results of a client, replacing those of any earlier run. */
  constructor(identity: ClientIdentity, testFile: string) {
    this.#file = { ...identity, testFile: relative(ROOT, testFile), commit: commitTested(), recordedAt: new Date().toISOString(), scenarios: {} };
    this.#path = join(CLIENT_RESULTS_DIRECTORY, clientResultsFileName(identity, this.#file.testFile));
    this.#write();
  }

  /** Records an outcome; a scenario shown by several tests stays failed once one of them failed. */
  record(scenario: ClientScenario, outcome: ScenarioOutcome, note?: string): void {
    if (this.#file.scenarios[scenario]?.outcome === 'fail' && outcome !== 'fail') return;
    this.#file.scenarios[scenario] = note === undefined ? { outcome } : { outcome, note };
    this.#file.recordedAt = new Date().toISOString();
    this.#write();
  }

  /** Runs a scenario and records whether it held; a failure is recorded and thrown on. */
  async run(scenario: ClientScenario, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      this.record(scenario, 'fail', firstLine(error));
      throw error;
    }
    this.record(scenario, 'pass');
  }

  /** Runs a body that shows several scenarios at once (every codec in one test) and records its outcome for each. */
  async runAll(scenarios: readonly ClientScenario[], body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      for (const scenario of scenarios) this.record(scenario, 'fail', firstLine(error));
      throw error;
    }
    for (const scenario of scenarios) this.record(scenario, 'pass');
  }

  #write(): void {
    mkdirSync(CLIENT_RESULTS_DIRECTORY, { recursive: true });
    writeFileSync(this.#path, `${JSON.stringify(this.#file, null, 2)}\n`);
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}
