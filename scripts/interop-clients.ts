// Builds the Go interop client programs (franz-go, its transactional session, sarama) and installs the Python clients
// from PyPI (confluent-kafka, kafka-python, aiokafka) into a virtual environment, and the
// Python peers of the connectors' tests (pymodbus, a real Modbus TCP server) into another,
// all in a cache outside git: `npm run interop:prepare`. `.ci/run` runs it before the interop tests;
// the tests find what it made through `interopClientPaths()` and fail with this command in
// their message when it is missing.
//
// Each result lives in a folder named by a hash of its inputs (go.mod, go.sum and the Go
// sources; requirements.txt), so an unchanged input costs nothing on a second run and a
// changed one is never served stale. Folders of older inputs are removed.
//
// The cache: $TRIBUTARY_CACHE_DIR, or ~/.cache/tributary.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const INTEROP_KAFKA = resolve(import.meta.dirname, '../test/interop/kafka');
export const GO_SOURCES = join(INTEROP_KAFKA, 'go');
export const PYTHON_SCRIPTS = join(INTEROP_KAFKA, 'python');
/** Python peers of the connectors' tests (test/edge/connectors), with their own pinned requirements. */
export const CONNECTOR_PEER_SCRIPTS = resolve(import.meta.dirname, '../test/edge/connectors/python');
/** The Go programs, each a folder of GO_SOURCES with a main package. */
export const GO_PROGRAMS = ['franz-go', 'franz-go-transactions', 'sarama'] as const;
export type GoProgram = (typeof GO_PROGRAMS)[number];
/** Written last into a finished folder: a folder without it was interrupted. */
const COMPLETE_MARKER = '.complete';
/** A folder of other inputs is removed once unused this long: a branch not run for two weeks rebuilds in a minute. */
const UNUSED_FOLDER_DAYS_MAX = 14;
/** Characters of the input hash in a folder name; enough to tell inputs apart. */
const HASH_CHARACTERS = 16;

export const PREPARE_COMMAND = 'npm run interop:prepare';

function cacheRoot(): string {
  return join(process.env.TRIBUTARY_CACHE_DIR ?? join(homedir(), '.cache', 'tributary'), 'interop-clients');
}

function hashOf(files: string[], base: string): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) hash.update(`${relative(base, file)}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, HASH_CHARACTERS);
}

function goInputs(directory = GO_SOURCES): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...goInputs(path));
    else if (entry.name.endsWith('.go') || entry.name === 'go.mod' || entry.name === 'go.sum') files.push(path);
  }
  return files;
}

export interface InteropClientPaths {
  /** Folder of the built Go programs, one executable per GO_PROGRAMS name. */
  goPrograms: string;
  /** The virtual environment's interpreter, with requirements.txt installed. */
  python: string;
  /** The interpreter of the connectors' peers (CONNECTOR_PEER_SCRIPTS/requirements.txt). */
  connectorPeersPython: string;
}

/** Where the prepared clients are for the sources as they are now. */
export function interopClientPaths(): InteropClientPaths {
  const root = cacheRoot();
  const goFolder = join(root, `go-${hashOf(goInputs(), GO_SOURCES)}`);
  const pythonFolder = join(root, `python-${hashOf([join(PYTHON_SCRIPTS, 'requirements.txt')], PYTHON_SCRIPTS)}`);
  const peersFolder = join(root, `python-peers-${hashOf([join(CONNECTOR_PEER_SCRIPTS, 'requirements.txt')], CONNECTOR_PEER_SCRIPTS)}`);
  return { goPrograms: goFolder, python: join(pythonFolder, 'bin', 'python'), connectorPeersPython: join(peersFolder, 'bin', 'python') };
}

/** Whether the folder holding `path` was prepared to its end. */
export function isPrepared(path: string): boolean {
  const folder = path.endsWith(join('bin', 'python')) ? resolve(path, '..', '..') : path;
  return existsSync(join(folder, COMPLETE_MARKER));
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  console.log(`interop-clients: ${command} ${args.join(' ')}`);
  execFileSync(command, args, { stdio: 'inherit', cwd: options.cwd, env: options.env ?? process.env });
}

/**
 * Fills `folder` unless it is complete; the marker is written last, so a folder an
 * interrupted run left behind is emptied and filled again. (Filled in place: a virtual
 * environment keeps the path it was made at.)
 */
function prepareFolder(folder: string, fill: (folder: string) => void): void {
  if (existsSync(join(folder, COMPLETE_MARKER))) {
    console.log(`interop-clients: ${folder} is prepared`);
    // Marks it used: folders unused for a while are removed (removeUnusedFolders).
    const now = new Date();
    utimesSync(join(folder, COMPLETE_MARKER), now, now);
    return;
  }
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  fill(folder);
  writeFileSync(join(folder, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
}

/**
 * Removes the folders of other inputs that no run has used for UNUSED_FOLDER_DAYS_MAX days.
 * Not at once: two checkouts of different versions on one machine (a branch and main)
 * each use their own folder, and one's preparing must not delete the other's mid-test.
 */
function removeUnusedFolders(keep: string[]): void {
  const root = cacheRoot();
  if (!existsSync(root)) return;
  const oldestKeptMs = Date.now() - UNUSED_FOLDER_DAYS_MAX * 24 * 3600 * 1000;
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    if (keep.includes(path)) continue;
    const marker = join(path, COMPLETE_MARKER);
    const lastUsedMs = existsSync(marker) ? statSync(marker).mtimeMs : statSync(path).mtimeMs;
    if (lastUsedMs < oldestKeptMs) rmSync(path, { recursive: true, force: true });
  }
}

export function prepareInteropClients(): InteropClientPaths {
  const paths = interopClientPaths();
  prepareFolder(paths.goPrograms, (folder) => {
    // -mod=readonly: go.sum as committed decides every module version; -buildvcs=false: a
    // test program needs no stamp of the checkout (and a fresh clone may not allow one).
    run('go', ['build', '-mod=readonly', '-trimpath', '-buildvcs=false', '-o', `${folder}/`, ...GO_PROGRAMS.map((name) => `./${name}`)], { cwd: GO_SOURCES });
  });
  const pythonFolders = [[paths.python, PYTHON_SCRIPTS], [paths.connectorPeersPython, CONNECTOR_PEER_SCRIPTS]].map(([python, scripts]) => {
    const pythonFolder = resolve(python!, '..', '..');
    prepareFolder(pythonFolder, (folder) => {
      run('python3', ['-m', 'venv', folder]);
      // --no-deps: requirements.txt pins every package, its dependencies included.
      run(join(folder, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', join(scripts!, 'requirements.txt')]);
    });
    return pythonFolder;
  });
  removeUnusedFolders([paths.goPrograms, ...pythonFolders]);
  return paths;
}

if (import.meta.main) {
  for (const [command, probe] of [['go', 'version'], ['python3', '--version']] as const) {
    try {
      execFileSync(command, [probe], { stdio: 'ignore' });
    } catch {
      console.error(`interop-clients: ${command} is not installed; the interop tests need Go (1.26 or newer) and Python 3 with venv`);
      process.exit(1);
    }
  }
  const paths = prepareInteropClients();
  console.log(`interop-clients: Go programs in ${paths.goPrograms}, Python clients in ${paths.python}`);
}
