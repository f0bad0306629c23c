// Checks the API definitions in shared/kafka/apis against Apache Kafka's message schemas:
//
//   node scripts/check-kafka-apis.ts <path-to-apache-kafka-checkout>
//
// For every served API it compares, field by field and in order, the names (camelCase of the
// schema's), types, `versions`, `nullableVersions`, tags and `taggedVersions`, and checks that
// the schema's `validVersions` cover the versions we serve and that `flexibleVersions` agree.
// Prints each difference and exits 1 if there is any. Run it after editing a definition or
// when moving to a newer Kafka release.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_DEFINITIONS } from '../shared/kafka/apis/index.ts';
import type { AnyFieldSpec, Fields, VersionRange } from '../shared/kafka/protocol/schema.ts';
import { parseVersions } from '../shared/kafka/protocol/schema.ts';

const checkout = process.argv[2];
if (!checkout) {
  console.error('usage: node scripts/check-kafka-apis.ts <path-to-apache-kafka-checkout>');
  process.exit(2);
}
const MESSAGE_DIRECTORY = join(checkout, 'clients/src/main/resources/common/message');

interface SchemaField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  tag?: number;
  taggedVersions?: string;
  fields?: SchemaField[];
}

interface Schema {
  validVersions: string;
  flexibleVersions: string;
  fields: SchemaField[];
  commonStructs?: Array<{ name: string; fields: SchemaField[] }>;
}

const PRIMITIVES = new Set(['int8', 'int16', 'uint16', 'int32', 'int64', 'float64', 'bool', 'uuid', 'string', 'bytes', 'records']);
const problems: string[] = [];

function readSchema(name: string): Schema {
  return JSON.parse(readFileSync(join(MESSAGE_DIRECTORY, `${name}.json`), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as Schema;
}

function sameRange(ours: VersionRange | null, theirs: string | undefined): boolean {
  if (ours === null) return theirs === undefined;
  if (theirs === undefined) return false;
  const parsed = parseVersions(theirs);
  return parsed.min === ours.min && parsed.max === ours.max;
}

function compareFields(path: string, ours: Fields, theirs: SchemaField[], common: Map<string, SchemaField[]>): void {
  const ourNames = Object.keys(ours);
  const theirNames = theirs.map((field) => field.name.charAt(0).toLowerCase() + field.name.slice(1));
  if (ourNames.join() !== theirNames.join()) {
    problems.push(`${path}: fields are [${ourNames.join(', ')}], the schema has [${theirNames.join(', ')}]`);
    return;
  }
  theirs.forEach((schemaField, index) => compareField(`${path}.${ourNames[index]}`, ours[ourNames[index]!]!, schemaField, common));
}

function compareField(path: string, ours: AnyFieldSpec, theirs: SchemaField, common: Map<string, SchemaField[]>): void {
  if (!sameRange(ours.versions, theirs.versions)) problems.push(`${path}: versions ${ours.versions.text}, schema ${theirs.versions}`);
  if (!sameRange(ours.nullableVersions, theirs.nullableVersions)) {
    problems.push(`${path}: nullableVersions ${ours.nullableVersions?.text ?? 'none'}, schema ${theirs.nullableVersions ?? 'none'}`);
  }
  if ((ours.tag ?? undefined) !== theirs.tag || !sameRange(ours.taggedVersions, theirs.taggedVersions)) {
    problems.push(`${path}: tag ${ours.tag} in ${ours.taggedVersions?.text}, schema tag ${theirs.tag} in ${theirs.taggedVersions}`);
  }
  const isArray = theirs.type.startsWith('[]');
  const elementType = isArray ? theirs.type.slice(2) : theirs.type;
  const structFields = PRIMITIVES.has(elementType) ? null : theirs.fields ?? common.get(elementType);
  const ourKind = isArray ? ours.element?.kind : ours.kind;
  if (isArray !== (ours.kind === 'array')) problems.push(`${path}: ${ours.kind}, schema ${theirs.type}`);
  if (structFields) {
    const ourFields = isArray ? ours.element?.fields : ours.fields;
    if (ourKind !== 'struct' || !ourFields) problems.push(`${path}: ${ourKind}, schema struct ${elementType}`);
    else compareFields(path, ourFields, structFields, common);
  } else if (ourKind !== elementType) {
    problems.push(`${path}: ${ourKind}, schema ${elementType}`);
  }
}

for (const api of API_DEFINITIONS) {
  for (const direction of ['Request', 'Response'] as const) {
    const schema = readSchema(`${api.name}${direction}`);
    const valid = parseVersions(schema.validVersions);
    if (api.versions.min < valid.min || api.versions.max > valid.max) {
      problems.push(`${api.name}${direction}: we serve ${api.versions.text}, the schema is valid for ${schema.validVersions}`);
    }
    if (!sameRange(api.flexibleVersions, schema.flexibleVersions)) {
      problems.push(`${api.name}${direction}: flexible ${api.flexibleVersions.text}, schema ${schema.flexibleVersions}`);
    }
    const common = new Map((schema.commonStructs ?? []).map((struct) => [struct.name, struct.fields]));
    compareFields(`${api.name}${direction}`, direction === 'Request' ? api.request : api.response, schema.fields, common);
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  console.error(`${problems.length} differences from the schemas in ${MESSAGE_DIRECTORY}`);
  process.exit(1);
}
console.log(`${API_DEFINITIONS.length} APIs match the schemas in ${MESSAGE_DIRECTORY}`);
