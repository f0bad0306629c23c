// Option parsing shared by the operator commands (topics, produce, consume, groups):
// Kafka-tool-like long options, numbers checked with the option's name in the message.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { optionInvalid } from './bootstrap.ts';

/**
 * node:util's parseArgs, strict, with its errors (unknown option, missing value) turned
 * into operating errors so that the command prints one line instead of a stack.
 */
export function parseCommandArgs<const Options extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: Options) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw error;
    // The first line names the option. For a value that starts with a dash, node's last
    // line says how to pass it (--shift-by=-5); its other advice is noise here.
    const lines = (error as Error).message.split('\n');
    const hint = code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && lines.length > 1 ? ` ${lines.at(-1)!.trim()}` : '';
    throw optionInvalid(`${lines[0]!.replace(/ To specify a positional argument.*$/, '')}${hint}`);
  }
}

/**
 * A `tributary <command> <action> …` command line: the action, the words after it and the
 * options; undefined after printing `usage` for --help or a missing action, when the
 * command ends with `usageExitCode` (0 when asked for, 2 when the action was missing).
 */
export function parseActionCommand<const Options extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: Options, usage: string) {
  const { values, positionals } = parseCommandArgs(argv, options);
  const [action, ...rest] = positionals;
  if ((values as { help?: boolean }).help || action === undefined) {
    console.log(usage);
    return { usageExitCode: (values as { help?: boolean }).help ? 0 : 2 } as const;
  }
  return { usageExitCode: undefined, action, rest, values };
}

/** Parses a whole number option; `minimum` is inclusive. */
export function integerOption(name: string, text: string | undefined, minimum: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < minimum) {
    throw optionInvalid(`--${name} must be a whole number of at least ${minimum}, not "${text}"`);
  }
  return value;
}

/** Parses an offset option: a whole number of at least 0, as a bigint. */
export function offsetOption(name: string, text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw optionInvalid(`--${name} must be an offset (a whole number of at least 0), not "${text}"`);
  return BigInt(text.trim());
}

/** A point in time: milliseconds since the epoch, or an ISO 8601 date/time. */
export function timestampOption(name: string, text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text.trim())) return BigInt(text.trim());
  const milliseconds = Date.parse(text);
  if (Number.isNaN(milliseconds)) throw optionInvalid(`--${name} must be milliseconds since 1970 or an ISO 8601 time such as 2025-01-31T12:00:00Z, not "${text}"`);
  return BigInt(milliseconds);
}

/** `name=value` pairs (--config, --header); the value may contain "=". */
export function pairsOption(name: string, texts: readonly string[] | undefined): [string, string][] {
  return (texts ?? []).map((text) => {
    const separator = text.indexOf('=');
    if (separator <= 0) throw optionInvalid(`--${name} takes NAME=VALUE, not "${text}"`);
    return [text.slice(0, separator), text.slice(separator + 1)];
  });
}

/** The one name an action works on: `--topic NAME` or the first word after the action. */
export function requiredName(kind: string, fromOption: string | undefined, positionals: readonly string[]): string {
  const name = fromOption ?? positionals[0];
  if (name === undefined || name === '') throw optionInvalid(`a ${kind} name is required (--${kind} NAME)`);
  return name;
}
