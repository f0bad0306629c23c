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

test('the edge daemon loads neither TypeBox nor ajv\'s compiler', () => {
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
    console.log(JSON.stringify(loaded.filter((url) => /node_modules\\/(ajv|@sinclair\\/typebox)\\//.test(url) && !url.includes('ajv/dist/runtime/'))));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../../../', import.meta.url), encoding: 'utf8' });
  assert.equal(JSON.parse(output.trim().split('\n').pop()!), []);
});

test.run();
