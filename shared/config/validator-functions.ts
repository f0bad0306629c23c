// The configuration's schema as the generated validator is compiled from: without its
// descriptions, which no check reads and which ajv would otherwise copy into the generated
// code as constants (about 70 KB of its source, held in memory while the daemon runs), and
// cut into one JSON Schema definition per object, for ajv to compile into one validating
// function each (inlineRefs: false). Compiled whole, the schema
// became a single function of about 220 KB of source, and V8's first call of it (to read the
// YAML file at every start) parsed and compiled all of it at once: the parser's memory,
// freed after the call but kept by the allocator, left an idle daemon about 8 MB more
// resident. Cut up, each function is compiled when its part of the file is first checked,
// and none is larger than a few tens of kilobytes.
//
// Only the validator is cut: the JSON Schema published for editors stays the TypeBox
// definition as written. The cut keeps what the loader reads from ajv's errors: an error's
// instancePath is the data's path, not the schema's; an unknown key's parentSchema is the
// object's own schema with its properties; the branches of an anyOf stay inline, so that
// "must be … or a mapping of …" still lists their keys. And it keeps the defaults: ajv fills
// in none inside anyOf, oneOf, not and if (useDefaults' documented exceptions), but a
// definition compiled on its own would fill in its own, so those subtrees stay whole.

type SchemaNode = Record<string, unknown>;

/** Keywords for people (editors show them): the published JSON Schema keeps them, the validator needs none. */
const ANNOTATION_KEYWORDS = ['title', 'description'];

/** Keywords under which ajv fills in no default: nothing below them is cut out. */
const NO_DEFAULTS_KEYWORDS = ['anyOf', 'oneOf', 'not', 'if'];

/** Keywords whose value is one schema that applies to a part of the data. */
const CHILD_SCHEMA_KEYWORDS = ['items', 'additionalProperties', 'then', 'else'] as const;

const isObject = (value: unknown): value is SchemaNode => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An object schema with named properties: the unit worth a function of its own. */
const isObjectSchema = (schema: unknown): schema is SchemaNode => isObject(schema) && schema['type'] === 'object' && isObject(schema['properties']);

/** A copy of `schema` without its annotations, at every depth. */
export function withoutAnnotations(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutAnnotations);
  if (!isObject(schema)) return schema;
  return Object.fromEntries(Object.entries(schema).filter(([keyword]) => !ANNOTATION_KEYWORDS.includes(keyword)).map(([keyword, value]) => [keyword, withoutAnnotations(value)]));
}

/**
 * A copy of `schema` in which every object schema below the root, reached through a property,
 * an array's items, a map's values or an if's then or else, and not inside an anyOf, oneOf,
 * not or if, is a `$ref` into `definitions`. A property's
 * `default` stays beside its `$ref`, where ajv's useDefaults reads it (from the parent's
 * properties), so the defaults filled in are the same.
 */
export function schemaWithObjectDefinitions(schema: SchemaNode): SchemaNode {
  const definitions: Record<string, SchemaNode> = {};
  const define = (child: SchemaNode, name: string): SchemaNode => {
    // The name is only an address inside the generated code; it says where the object sits.
    const id = name.replace(/[^A-Za-z0-9_]/g, '_');
    if (id in definitions) throw new Error(`two schema objects are both named ${id}`);
    definitions[id] = cut(child, name) as SchemaNode;
    return { $ref: `#/definitions/${id}` };
  };
  const cut = (node: unknown, name: string): unknown => {
    if (Array.isArray(node)) return node.map((item, index) => cut(item, `${name}_${index}`));
    if (!isObject(node)) return node;
    const copy: SchemaNode = {};
    for (const [keyword, value] of Object.entries(node)) {
      if (NO_DEFAULTS_KEYWORDS.includes(keyword)) {
        copy[keyword] = value;
      } else if (keyword === 'properties' && isObject(value)) {
        copy[keyword] = Object.fromEntries(Object.entries(value).map(([property, child]) => {
          const childName = `${name}_${property}`;
          if (!isObjectSchema(child)) return [property, cut(child, childName)];
          const reference = define(child, childName);
          return [property, child['default'] === undefined ? reference : { ...reference, default: child['default'] }];
        }));
      } else if ((CHILD_SCHEMA_KEYWORDS as readonly string[]).includes(keyword) && isObjectSchema(value)) {
        copy[keyword] = define(value, `${name}_${keyword}`);
      } else {
        copy[keyword] = cut(value, `${name}_${keyword}`);
      }
    }
    return copy;
  };
  const root = cut(schema, 'config') as SchemaNode;
  if ('definitions' in root) throw new Error('the schema already has definitions; the cut would overwrite them');
  return { ...root, definitions };
}
