// Checks on the YAML document tree that yaml itself only warns about. A warning from the
// library would otherwise reach stderr as an unstructured Node warning (process.emitWarning)
// while the file is accepted in a different shape than written, so each one becomes a
// CONFIG_INVALID message naming the file, the line, the column and the key path.
import { isAlias, isCollection, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** Nesting a configuration needs is a handful of levels; a deeper tree is walked no further (yaml's own limits bound the input). */
const WALK_DEPTH_MAX = 64;

/** A key is quoted from the file up to this many characters: enough to find it, short enough for one log line. */
const QUOTED_KEY_CHARACTERS_MAX = 60;

/** One message per mapping key that is itself a mapping or a sequence (`? {a: 1} : x`, `[a]: 1`). */
export function collectionKeyErrors(document: Document, lineCounter: LineCounter, text: string, fileName: string): string[] {
  const messages: string[] = [];
  const walk = (node: unknown, path: string[], depth: number): void => {
    if (depth > WALK_DEPTH_MAX) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const resolvedKey = isAlias(key) ? key.resolve(document) : key;
        if (isCollection(resolvedKey)) {
          const kind = isMap(resolvedKey) ? 'a mapping' : 'a sequence';
          const [start, end] = sourceRange(key ?? resolvedKey);
          const at = path.length > 0 ? path.join('.') : '(top level)';
          messages.push(`${fileName}:${position(lineCounter, start)}: ${at}: a key must be a plain name, got ${kind} ${quote(text.slice(start, end))}`);
          continue;
        }
        const name = isScalar(resolvedKey) ? String(resolvedKey.value) : String(resolvedKey);
        walk(pair.value, [...path, name], depth + 1);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item, [...path, String(index)], depth + 1));
    }
  };
  walk(document.contents, [], 0);
  return messages;
}

/** yaml's own warnings (an unknown directive, an unresolved tag) as messages with their position. */
export function warningErrors(document: Document, lineCounter: LineCounter, fileName: string): string[] {
  return document.warnings.map((warning) => `${fileName}:${position(lineCounter, warning.pos[0])}: ${warning.message.split('\n')[0]}`);
}

/** yaml starts a block mapping's range after its first key, so the first key's own start is taken when it is earlier. */
function sourceRange(node: Node): [number, number] {
  const [start, end] = node.range ?? [0, 0];
  const first = isMap(node) ? (node.items[0]?.key as Node | null) : isSeq(node) ? (node.items[0] as Node | null) : null;
  const firstStart = first?.range?.[0];
  return [firstStart !== undefined && firstStart < start ? firstStart : start, end];
}

function position(lineCounter: LineCounter, offset: number): string {
  const { line, col } = lineCounter.linePos(offset);
  return `${line}:${col}`;
}

/** A block collection spans lines; the message keeps to one. */
function quote(source: string): string {
  const oneLine = source.replace(/\s*\n\s*/g, ' ').trim();
  return oneLine.length > QUOTED_KEY_CHARACTERS_MAX ? `${oneLine.slice(0, QUOTED_KEY_CHARACTERS_MAX)}…` : oneLine;
}
