// Which edge topics the mirror takes: include and exclude lists of patterns. A pattern is
// a glob (`*` any run of characters, `?` one character, everything else literal) or a
// regular expression written between slashes (`/^sensors\./`, flags after the closing
// slash). Globs cover the usual cases ("sensors.*"); regular expressions the rest.
// Either way a pattern matches the whole topic name, never a part of it.
import { TributaryError } from '../shared/errors.ts';

/** A regular expression pattern longer than this is refused: patterns come from a config file, not from data. */
const PATTERN_LENGTH_MAX = 1_000;

export interface TopicPattern {
  /** The pattern as written. */
  readonly text: string;
  test(topic: string): boolean;
}

/** Compiles one pattern; `where` names the config key in errors (e.g. "mirror.topics.include[2]"). */
export function compileTopicPattern(text: string, where: string): TopicPattern {
  if (text.length === 0 || text.length > PATTERN_LENGTH_MAX) {
    throw new TributaryError('CONFIG_INVALID', `${where}: a topic pattern must have 1 to ${PATTERN_LENGTH_MAX} characters`, { key: where });
  }
  const regexMatch = /^\/(.*)\/([imsu]*)$/s.exec(text);
  let expression: RegExp;
  if (regexMatch !== null) {
    try {
      // Anchored as a whole, so that /sensors/ means the topic "sensors", like a glob.
      expression = new RegExp(`^(?:${regexMatch[1]})$`, regexMatch[2]);
    } catch (error) {
      throw new TributaryError('CONFIG_INVALID', `${where}: "${text}" is not a valid regular expression: ${(error as Error).message}`, { key: where }, { cause: error });
    }
  } else {
    expression = new RegExp(`^${globToRegExpSource(text)}$`);
  }
  return { text, test: (topic) => expression.test(topic) };
}

function globToRegExpSource(glob: string): string {
  let source = '';
  for (const character of glob) {
    if (character === '*') source += '.*';
    else if (character === '?') source += '.';
    else source += character.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return source;
}

export interface TopicSelectorOptions {
  include: readonly string[];
  exclude: readonly string[];
  /** Topics never selected whatever the patterns say (the local topics of reverse rules). */
  alwaysExcluded?: readonly string[];
  /** Config key of the lists, for errors. */
  where?: string;
}

/** Internal topics (Kafka's "__consumer_offsets" and the like) start with this and are never mirrored. */
const INTERNAL_TOPIC_PREFIX = '__';

export class TopicSelector {
  readonly #include: TopicPattern[];
  readonly #exclude: TopicPattern[];
  readonly #alwaysExcluded: ReadonlySet<string>;

  constructor(options: TopicSelectorOptions) {
    const where = options.where ?? 'mirror.topics';
    this.#include = options.include.map((text, index) => compileTopicPattern(text, `${where}.include[${index}]`));
    this.#exclude = options.exclude.map((text, index) => compileTopicPattern(text, `${where}.exclude[${index}]`));
    this.#alwaysExcluded = new Set(options.alwaysExcluded ?? []);
  }

  selects(topic: string): boolean {
    if (topic.startsWith(INTERNAL_TOPIC_PREFIX) || this.#alwaysExcluded.has(topic)) return false;
    return this.#include.some((pattern) => pattern.test(topic)) && !this.#exclude.some((pattern) => pattern.test(topic));
  }
}
