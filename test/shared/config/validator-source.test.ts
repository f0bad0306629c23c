import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { configValidatorSource, configValidatorTypes, GENERATED_TYPES_PATH, GENERATED_VALIDATOR_PATH } from '../../../shared/config/validator-source.ts';

test('the generated validator is current (regenerate: npm run generate:config-validator)', () => {
  const stale = 'differs from the schema: run npm run generate:config-validator';
  assert.ok(readFileSync(GENERATED_VALIDATOR_PATH, 'utf8') === configValidatorSource(), `validate-config.generated.js ${stale}`);
  assert.is(readFileSync(GENERATED_TYPES_PATH, 'utf8'), configValidatorTypes(), `validate-config.generated.d.ts ${stale}`);
});

/**
 * The largest validating function the generator may write. Compiled whole the schema was one
 * function of about 220 KB, whose first call left an idle daemon about 8 MB more resident
 * (shared/config/validator-functions.ts); cut per object the largest is about 54 KB.
 */
const GENERATED_FUNCTION_CHARACTERS_MAX = 64 * 1024;

test('the generated validator is cut into functions of at most 64 KB of source each', () => {
  const source = readFileSync(GENERATED_VALIDATOR_PATH, 'utf8');
  // ajv writes one line: a function runs up to the next function, schema constant or export.
  const pieces = [...source.matchAll(/function validate\d+\(|const schema\d+ =|export const /g)];
  const sizes = pieces.flatMap((piece, index) => piece[0].startsWith('function') ? [(pieces[index + 1]?.index ?? source.length) - piece.index] : []);
  assert.ok(sizes.length > 10, `only ${sizes.length} validating functions were generated`);
  assert.ok(Math.max(...sizes) <= GENERATED_FUNCTION_CHARACTERS_MAX, `a generated function has ${Math.max(...sizes)} characters`);
});

test('the edge daemon loads neither TypeBox nor any of ajv', () => {
  // The daemon's modules and its reading of a configuration, in a process of its own that
  // records every module it resolves.
  const script = `
    const { registerHooks } = await import('node:module');
    const loaded = [];
    registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); loaded.push(result.url); return result; } });
    const { defaultConfig } = await import('./shared/config/load.ts');
    await import('./edge/cli/edge-command.ts');
    await import('./edge/daemon/edge-daemon.ts');
    defaultConfig();
    console.log(JSON.stringify(loaded.filter((url) => /node_modules\\/(ajv|@sinclair\\/typebox)\\//.test(url))));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../../../', import.meta.url), encoding: 'utf8' });
  assert.equal(JSON.parse(output.trim().split('\n').pop()!), []);
});

test.run();
