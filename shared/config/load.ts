// Reads and validates the YAML file. Every error names the file, the line and the key,
// so that a wrong key on a device is found without guessing:
//   edge.yaml:7: listeners.kafka.prot: unknown key (allowed: host, port)
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ErrorObject } from 'ajv';
import { isMap, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { TributaryError } from '../errors.ts';
import type { Config } from './schema.ts';
import { validateConfig } from './validate-config.generated.js';
import type { GeneratedValidator } from './validator-source.ts';
import { collectionKeyErrors, warningErrors } from './yaml-checks.ts';

// Generated ahead of time from schema.ts (validator-source.ts says why): neither TypeBox
// nor ajv's compiler is loaded to read a configuration.
const validate = validateConfig as GeneratedValidator<Config>;

/** Built-in defaults: what `tributary edge` runs on without --config. */
export function defaultConfig(): Config {
  return parseConfig('', '<built-in defaults>');
}

export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TributaryError('CONFIG_UNREADABLE', `${path}: cannot read the configuration file: ${(error as Error).message}`, { path }, { cause: error });
  }
  return parseConfig(text, path);
}

export function parseConfig(text: string, fileName: string): Config {
  const lineCounter = new LineCounter();
  // logLevel 'error': yaml prints its warnings through process.emitWarning otherwise;
  // yaml-checks.ts turns each into a CONFIG_INVALID message instead.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  if (document.errors.length > 0) {
    const messages = document.errors.map((error) => {
      const line = error.linePos?.[0].line ?? lineCounter.linePos(error.pos[0]).line;
      return `${fileName}:${line}: ${error.message.split('\n')[0]}`;
    });
    throw new TributaryError('CONFIG_INVALID', messages.join('\n'), { path: fileName });
  }
  const structureMessages = [...warningErrors(document, lineCounter, fileName), ...collectionKeyErrors(document, lineCounter, text, fileName)];
  if (structureMessages.length > 0) throw new TributaryError('CONFIG_INVALID', structureMessages.join('\n'), { path: fileName });
  let value: unknown;
  try {
    value = document.toJS() ?? {};
  } catch (error) {
    // Aliases are resolved here: one naming an anchor set only later, or aliases that would
    // expand beyond yaml's maxAliasCount (a "billion laughs" file), throw a bare ReferenceError.
    throw new TributaryError('CONFIG_INVALID', `${fileName}:${lineOfAlias(document, lineCounter)}: ${(error as Error).message}`, { path: fileName }, { cause: error });
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TributaryError('CONFIG_INVALID', `${fileName}:1: the configuration must be a mapping of keys (node, listeners, …)`, { path: fileName });
  }
  if (!validate(value)) {
    const messages = uniqueErrors(validate.errors ?? []).map((error) => describeError(error, document, lineCounter, fileName));
    throw new TributaryError('CONFIG_INVALID', messages.join('\n'), { path: fileName });
  }
  const config = value as Config;
  if (config.node.id === '') config.node.id = hostname();
  return config;
}

/** anyOf produces one error per branch plus a summary: keep only the summary, once. An if/then, only its inner errors. */
function uniqueErrors(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  const anyOfPaths = errors.filter((error) => error.keyword === 'anyOf').map((error) => error.instancePath);
  return errors.filter((error) => {
    // "must match the then schema" only repeats the errors found inside it (connectors, by type).
    if (error.keyword === 'if') return false;
    if (error.keyword !== 'anyOf' && anyOfPaths.some((path) => error.instancePath === path || error.instancePath.startsWith(`${path}/`))) return false;
    const key = `${error.instancePath}|${error.keyword}|${JSON.stringify(error.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describeError(error: ErrorObject, document: Document, lineCounter: LineCounter, fileName: string): string {
  const path = error.instancePath.split('/').slice(1).map(unescapePointer);
  if (error.keyword === 'additionalProperties') {
    const unknownKey = String(error.params.additionalProperty);
    const allowed = Object.keys(schemaAt(error.parentSchema)).join(', ');
    const line = lineOfKey(document, lineCounter, path, unknownKey);
    return `${fileName}:${line}: ${[...path, unknownKey].join('.')}: unknown key${allowed ? ` (allowed: ${allowed})` : ''}`;
  }
  const line = lineOfValue(document, lineCounter, path);
  const key = path.length > 0 ? path.join('.') : '(top level)';
  const actual = document.getIn(path);
  const shown = actual === undefined ? '' : `, got ${JSON.stringify(actual)}`;
  const message = error.keyword === 'anyOf' ? `must be ${describeAlternatives(error.schema)}` : error.keyword === 'enum' ? `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` : error.message ?? 'is invalid';
  return `${fileName}:${line}: ${key}: ${message}${shown}`;
}

function describeAlternatives(alternatives: unknown): string {
  if (!Array.isArray(alternatives)) return 'one of the allowed forms';
  return alternatives.map((alternative: { const?: unknown; type?: string; properties?: Record<string, unknown> }) => {
    if (alternative.const !== undefined) return JSON.stringify(alternative.const);
    if (alternative.properties) return `a mapping of ${Object.keys(alternative.properties).join(', ')}`;
    return alternative.type ?? 'another form';
  }).join(' or ');
}

function schemaAt(parentSchema: unknown): Record<string, unknown> {
  const properties = (parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ?? {};
}

function unescapePointer(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}

function lineOfValue(document: Document, lineCounter: LineCounter, path: string[]): number {
  // Walk up until a node exists: a missing key is reported at its parent.
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = document.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lineCounter.linePos(node.range[0]).line;
  }
  return 1;
}

function lineOfKey(document: Document, lineCounter: LineCounter, parentPath: string[], key: string): number {
  const parent = parentPath.length === 0 ? document.contents : document.getIn(parentPath, true);
  if (isMap(parent)) {
    for (const pair of parent.items) {
      const keyNode = pair.key as { value?: unknown; range?: [number, number, number] } | null;
      if (keyNode && String(keyNode.value) === key && keyNode.range) return lineCounter.linePos(keyNode.range[0]).line;
    }
  }
  return lineOfValue(document, lineCounter, parentPath);
}

/** Line of the first alias whose anchor is not set before it, else of the first alias. */
function lineOfAlias(document: Document, lineCounter: LineCounter): number {
  let first: number | undefined;
  let unresolved: number | undefined;
  visit(document, {
    Alias(_key, node) {
      const line = node.range ? lineCounter.linePos(node.range[0]).line : 1;
      first ??= line;
      if (node.resolve(document) === undefined) {
        unresolved = line;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return unresolved ?? first ?? 1;
}
