// Programs and Python modules from Debian that some tests drive (real third-party peers,
// a real browser, real tools). A test that needs one asks here first, so that on a machine
// without it the test fails saying which package to install, instead of with ENOENT, a
// timeout, or (in a uvu before-hook, whose errors uvu does not print) no reason at all.
// `bash .ci/run` installs every package named here.
import { accessSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { delimiter, join } from 'node:path';

/** The Debian package that brings each program the tests run. */
const PROGRAM_PACKAGES = {
  kcat: 'kcat',
  mosquitto: 'mosquitto',
  mosquitto_pub: 'mosquitto-clients',
  mosquitto_sub: 'mosquitto-clients',
  openssl: 'openssl',
  chromium: 'chromium',
  java: 'openjdk-17-jdk-headless',
  javac: 'openjdk-17-jdk-headless',
  mvn: 'maven',
  lz4: 'lz4',
  'systemd-analyze': 'systemd',
  setpriv: 'util-linux',
  strace: 'strace',
  npm: 'npm',
  npx: 'npm',
} as const;

/** Debian's Python modules load only in Debian's own interpreter. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** The Debian package that brings each Python module the tests import. */
const PYTHON_MODULE_PACKAGES = {
  confluent_kafka: 'python3-confluent-kafka',
  kafka: 'python3-kafka',
  'paho.mqtt.client': 'python3-paho-mqtt',
} as const;

export type Program = keyof typeof PROGRAM_PACKAGES;
export type PythonModule = keyof typeof PYTHON_MODULE_PACKAGES;

export class MissingSystemPackageError extends Error {
  readonly debianPackage: string;

  constructor(what: string, debianPackage: string) {
    super(`${what} is not installed on this machine; install it with \`apt-get install ${debianPackage}\` (.ci/run installs what the tests need)`);
    this.name = 'MissingSystemPackageError';
    this.debianPackage = debianPackage;
  }
}

const found = new Map<string, string>();

/** The program's full path, or a MissingSystemPackageError naming its package (also written to stderr). */
export function requireProgram(program: Program): string {
  const cached = found.get(program);
  if (cached !== undefined) return cached;
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const path = join(directory, program);
    try {
      accessSync(path, constants.X_OK);
      found.set(program, path);
      return path;
    } catch { /* not in this directory */ }
  }
  return reportMissing(`the program ${program}`, PROGRAM_PACKAGES[program]);
}

/** Debian's Python with `module` importable, or a MissingSystemPackageError naming its package. */
export function requirePythonModule(module: PythonModule): string {
  const key = `python:${module}`;
  if (found.has(key)) return DEBIAN_PYTHON;
  try {
    execFileSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' });
  } catch {
    return reportMissing(`the Python module ${module} (for ${DEBIAN_PYTHON})`, PYTHON_MODULE_PACKAGES[module]);
  }
  found.set(key, DEBIAN_PYTHON);
  return DEBIAN_PYTHON;
}

function reportMissing(what: string, debianPackage: string): never {
  const error = new MissingSystemPackageError(what, debianPackage);
  // Written here too: an error thrown in a uvu hook is not printed by uvu.
  console.error(`\n${error.message}\n`);
  throw error;
}
