// A test that needs a program or a Python module from Debian learns its full path, or
// fails saying which package to install.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { accessSync, constants } from 'node:fs';
import { MissingSystemPackageError, requireProgram, requirePythonModule } from './system-programs.ts';

test('a program on PATH is found with its full path', () => {
  const path = requireProgram('openssl');
  assert.match(path, /^\/.*\/openssl$/);
  accessSync(path, constants.X_OK);
});

test('a missing program names its Debian package and how to install it', () => {
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    // lz4 has not been looked up in this process, so nothing is cached.
    assert.throws(() => requireProgram('lz4'), (error: unknown) => error instanceof MissingSystemPackageError
      && error.debianPackage === 'lz4'
      && error.message === 'the program lz4 is not installed on this machine; install it with `apt-get install lz4` (.ci/run installs what the tests need)');
    assert.throws(() => requireProgram('mosquitto_sub'), (error: unknown) => error instanceof MissingSystemPackageError && error.debianPackage === 'mosquitto-clients');
  } finally {
    process.env.PATH = path;
  }
});

test("a Python module is checked in Debian's Python", () => {
  assert.is(requirePythonModule('kafka'), '/usr/bin/python3');
});

test.run();
