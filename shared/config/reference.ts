// The YAML reference in the README, made from the schema so that the two cannot drift:
// one table row per key with its type, default and description.
import { ConfigSchema } from './schema.ts';

interface SchemaNode {
  type?: string;
  enum?: unknown[];
  anyOf?: SchemaNode[];
  const?: unknown;
  default?: unknown;
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  patternProperties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  /** A list of several kinds of entry: one `if: { type } then: <schema>` per kind. */
  allOf?: { if?: { properties?: { type?: { const?: string } } }; then?: SchemaNode }[];
}

export function configReference(): string {
  const rows: string[] = ['| key | type | default | description |', '| --- | --- | --- | --- |'];
  walk(ConfigSchema as unknown as SchemaNode, '', rows);
  return rows.join('\n');
}

function walk(node: SchemaNode, path: string, rows: string[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const childPath = path ? `${path}.${key}` : key;
    const isSection = child.type === 'object' && child.properties !== undefined;
    if (!isSection) rows.push(`| \`${childPath}\` | ${typeName(child)} | ${defaultText(child)} | ${escapeCell(child.description ?? '')} |`);
    if (isSection) walk(child, childPath, rows);
    const entry = child.patternProperties ? Object.values(child.patternProperties)[0] : undefined;
    if (entry) walk(entry, `${childPath}.<name>`, rows);
    if (child.type === 'array' && child.items?.properties) walk(child.items, `${childPath}[]`, rows);
    for (const kind of child.type === 'array' ? child.items?.allOf ?? [] : []) {
      // Keys every kind shares are listed once, under `${childPath}[]`.
      const own = Object.entries(kind.then?.properties ?? {}).filter(([key]) => child.items?.properties?.[key] === undefined);
      walk({ properties: Object.fromEntries(own) }, `${childPath}[type=${kind.if?.properties?.type?.const}]`, rows);
    }
  }
}

function typeName(node: SchemaNode): string {
  if (node.enum) return node.enum.map((value) => `\`${JSON.stringify(value)}\``).join(' \\| ');
  if (node.anyOf) return node.anyOf.map((option) => (option.const !== undefined ? `\`${JSON.stringify(option.const)}\`` : option.type ?? '?')).join(' \\| ');
  if (node.type === 'array') return `list of ${node.items?.type ?? 'values'}`;
  if (node.patternProperties) return 'map of name → settings';
  return node.type ?? '?';
}

function defaultText(node: SchemaNode): string {
  if (node.default === undefined) return '—';
  return `\`${escapeCell(JSON.stringify(node.default))}\``;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
