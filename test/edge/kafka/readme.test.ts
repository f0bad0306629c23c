// edge/kafka/README.md lists the APIs ApiVersions advertises, with their versions; the list
// in the README and the one the broker serves must not drift apart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { SUPPORTED_APIS } from '../../../shared/kafka/apis/index.ts';

const README = new URL('../../../edge/kafka/README.md', import.meta.url);

test('the README\'s table of served APIs is what ApiVersions advertises', () => {
  const text = readFileSync(README, 'utf8');
  const table = text.slice(text.indexOf('<!-- served-apis:start'), text.indexOf('<!-- served-apis:end'));
  const rows = table.split('\n').filter((line) => /^\| [A-Z]/.test(line) && !line.startsWith('| API '));
  const documented = rows.map((line) => line.split('|').map((cell) => cell.trim()).filter((cell) => cell !== ''));
  const served = SUPPORTED_APIS.map((api) => [api.name, String(api.apiKey), api.minVersion === api.maxVersion ? String(api.minVersion) : `${api.minVersion}-${api.maxVersion}`]);
  assert.equal(documented, served);
});

test.run();
