import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ConfigSchema } from '../../../shared/config/schema.ts';
import { schemaWithObjectDefinitions, withoutAnnotations } from '../../../shared/config/validator-functions.ts';
import { validateConfig } from '../../../shared/config/validate-config.generated.js';

// The generated validator is compiled from the schema cut into definitions; compiled whole,
// as it was before the cut, the same schema must fill in the same defaults and give the same
// errors, in the same order, with what the loader reads from them.
const whole = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true }).compile(ConfigSchema);

/** What load.ts reads of an error (schemaPath differs by the cut and is not read). */
function readable(errors: ErrorObject[] | null | undefined) {
  return (errors ?? []).map((error) => ({
    instancePath: error.instancePath,
    keyword: error.keyword,
    params: error.params,
    message: error.message,
    allowedKeys: Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {}),
    // What describeAlternatives reads of each branch (the generated one has no descriptions).
    alternatives: error.keyword === 'anyOf' ? (error.schema as { const?: unknown; type?: string; properties?: object }[]).map((branch) => ({ const: branch.const, type: branch.type, keys: Object.keys(branch.properties ?? {}) })) : undefined,
  }));
}

function outcome(validate: ValidateFunction | typeof validateConfig, data: unknown) {
  const copy = structuredClone(data);
  const valid = validate(copy);
  return { valid, data: copy, errors: readable(validate.errors) };
}

const defaults: Record<string, unknown> = {};
validateConfig(defaults);

/** Every key path of the defaults, and beside each mapping an unknown key. */
function keyPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [path];
  return [[...path, 'unknownKey'], ...Object.entries(value).flatMap(([key, child]) => keyPaths(child, [...path, key]))];
}

function withValue(path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(defaults);
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  parent[path.at(-1)!] = value;
  return copy;
}

test('the cut validator fills in the defaults the whole schema fills in', () => {
  assert.equal(outcome(validateConfig, {}), outcome(whole, {}));
  assert.ok(Object.keys(defaults).length > 5, 'the defaults hold the sections');
});

test('every key of the defaults set to a wrong value gets the errors the whole schema gives', () => {
  let invalid = 0;
  for (const path of keyPaths(defaults)) {
    for (const wrong of [-1, 'text', null, { unknownKey: 1 }]) {
      const data = withValue(path, wrong);
      const cut = outcome(validateConfig, data);
      assert.equal(cut, outcome(whole, data), `${path.join('.')} = ${JSON.stringify(wrong)}`);
      if (!cut.valid) invalid += 1;
    }
  }
  assert.ok(invalid > 100, `only ${invalid} of the wrong values were refused`);
});

test('connectors, pipelines and topics checked by their branches give the errors the whole schema gives', () => {
  const samples = [
    { topics: { readings: {}, commands: { partitions: 0, unknownKey: 1 } } },
    { mirror: { target: { bootstrap: ['central:9092'] }, unknownKey: 1 } },
    { connectors: [{ type: 'modbus' }, { type: 'no-such-type' }, {}, { type: 'file', unknownKey: 1 }] },
    { pipelines: [{}, { name: 'p', unknownKey: 1 }] },
    // ajv fills in no defaults inside an anyOf: a window step's grace stays unset.
    { pipelines: [{ name: 'p', from: 'in', to: 'out', steps: [{ filter: 'temp > 80' }, { window: { size: '1m', aggregate: { n: 'count()' } } }] }] },
    { mqtt: { defaultRoute: { topic: 'unrouted' } } },
    { mqtt: { routes: [{}, { unknownKey: 1 }] } },
  ];
  for (const data of samples) assert.equal(outcome(validateConfig, data), outcome(whole, data), JSON.stringify(data));
});

test('a string\'s length is counted in code points, a surrogate pair as one, as the whole schema counts it', () => {
  // kafka.sasl.users[].username is at most 256 characters: 256 emoji are 512 UTF-16 code units.
  for (const count of [256, 257]) {
    const data = { kafka: { sasl: { users: [{ username: '\u{1F600}'.repeat(count) }] } } };
    const cut = outcome(validateConfig, data);
    assert.equal(cut, outcome(whole, data));
    assert.is(cut.valid, count === 256, `${count} emoji`);
  }
});

test('an object schema below the root becomes a definition behind a $ref, its default beside the $ref, its description gone', () => {
  const cut = schemaWithObjectDefinitions(withoutAnnotations({
    type: 'object',
    properties: {
      section: { type: 'object', default: {}, description: 'for editors', properties: { port: { type: 'integer', default: 1 } } },
      list: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
      either: { anyOf: [{ const: 'off' }, { type: 'object', properties: { on: { type: 'object', properties: { at: { type: 'string', default: 'now' } } } } }] },
    },
  }) as Record<string, unknown>);
  const properties = cut['properties'] as Record<string, Record<string, unknown>>;
  assert.equal(properties['section'], { $ref: '#/definitions/config_section', default: {} });
  assert.equal(properties['list']!['items'], { $ref: '#/definitions/config_list_items' });
  // anyOf branches stay whole: the loader lists their keys in its message, and ajv fills in
  // no default inside them, which a definition of their own would.
  assert.equal((properties['either']!['anyOf'] as unknown[])[1], { type: 'object', properties: { on: { type: 'object', properties: { at: { type: 'string', default: 'now' } } } } });
  assert.equal(Object.keys(cut['definitions'] as object), ['config_section', 'config_list_items']);
  assert.equal((cut['definitions'] as Record<string, unknown>)['config_section'], { type: 'object', default: {}, properties: { port: { type: 'integer', default: 1 } } });
});

test.run();
