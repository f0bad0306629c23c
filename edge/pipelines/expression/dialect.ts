// The expression language of pipelines: subscript's parser and compiler (no eval, no
// `new Function`), configured here as a small dialect close to eKuiper's SQL expressions:
//   temp >= -40 and temp <= 85          and, or, not (also &&, ||, !)
//   (temp - 32) * 5 / 9                 arithmetic
//   status == 'alarm' ? 1 : 0           comparisons, equality, conditional
//   $key, $timestamp, $headers['x']     the record's own parts (record-scope.ts)
//   round(avg, 1), lower(site)          the functions of functions.ts
//
// Time per record is bounded by construction: the dialect has no loops, no recursion, no
// function definitions and no assignment (refused before compiling), an expression has
// at most EXPRESSION_NODES_MAX nodes, and every function is linear in its arguments.
//
// subscript's parser is one module-wide registry; this module is its only user in the
// process and registers its additions once, when pipelines are first loaded.
import { binary, compile, operator, parse, unary, type AST, type Evaluator } from 'subscript';
import 'subscript/feature/literal.js';
import 'subscript/feature/op/ternary.js';
import 'subscript/eval/op/ternary.js';
import { TributaryError } from '../../../shared/errors.ts';
import { isAggregateFunction, SCALAR_FUNCTIONS } from './functions.ts';
import { ownProperty, RECORD_PARTS, type RecordScope } from './record-scope.ts';

export type { AST, Evaluator };

/** Nodes in one expression at most: a rule's condition, not a program (bounds its time per record). */
export const EXPRESSION_NODES_MAX = 256;

/** Where the compiled expression of a window's output refers to aggregate number N. */
const AGGREGATE_REFERENCE_PREFIX = '#aggregate:';

// Word operators, with the precedences of their symbol twins (|| 30, && 40); `not` binds
// looser than comparisons, as in SQL: `not a == b` is `not (a == b)`.
const OR = 30;
const AND = 40;
const NOT = 45;
binary('or', OR);
binary('and', AND);
unary('not', NOT);
operator('or', (left, right) => {
  const a = compileNode(left);
  const b = compileNode(right);
  return (scope) => a(scope) || b(scope);
});
operator('and', (left, right) => {
  const a = compileNode(left);
  const b = compileNode(right);
  return (scope) => a(scope) && b(scope);
});
operator('not', (operand) => {
  const a = compileNode(operand);
  return (scope) => !a(scope);
});
// Strings in single quotes too: expressions sit inside double-quoted YAML strings.
(parse as unknown as { string: Record<string, boolean> }).string = { '"': true, "'": true };

// Names: $-names are the record's parts, #aggregate:N a window's aggregate, anything else
// a field of the value (own properties only).
compile.id = (name) => {
  if (name === undefined) return () => undefined;
  if (Object.hasOwn(RECORD_PARTS, name)) return RECORD_PARTS[name] as Evaluator;
  if (name.startsWith(AGGREGATE_REFERENCE_PREFIX)) {
    const index = Number(name.slice(AGGREGATE_REFERENCE_PREFIX.length));
    return (scope: RecordScope) => scope.aggregates[index];
  }
  return (scope: RecordScope) => scope.field(name);
};
// Member access reads own properties only, and a missing holder gives a missing value
// rather than an error: `site.name` of a record without `site` is simply missing.
operator('.', (holder, name) => {
  const read = compileNode(holder);
  const property = Array.isArray(name) ? (name as unknown[])[1] : name;
  return (scope) => ownProperty(read(scope), property);
});
operator('[]', (holder, index) => {
  if (index === undefined) return undefined;
  const read = compileNode(holder);
  const at = compileNode(index);
  return (scope) => ownProperty(read(scope), at(scope));
});
// Calls name a function of functions.ts directly; checkTree refused any other callee.
operator('()', (callee, args) => {
  if (args === undefined || typeof callee !== 'string' || !Object.hasOwn(SCALAR_FUNCTIONS, callee)) return undefined;
  const fn = SCALAR_FUNCTIONS[callee]!;
  const compiled = argumentNodes(args).map(compileNode);
  return (scope) => fn(...compiled.map((argument) => argument(scope)));
});

function compileNode(node: AST): Evaluator {
  return compile(node);
}

/** The operators an expression may use; anything else (assignment, ++, bitwise, sequences) is refused. */
const ALLOWED_OPERATORS = new Set(['and', 'or', 'not', '&&', '||', '!', '==', '!=', '<', '>', '<=', '>=', '+', '-', '*', '/', '%', '?', '.', '[]', '()']);

export class ExpressionError extends TributaryError {
  readonly column: number;

  constructor(message: string, column: number) {
    super('EXPRESSION_INVALID', message, { column });
    this.name = 'ExpressionError';
    this.column = column;
  }
}

/**
 * Parses and checks one expression; ExpressionError with the 1-based column when it does
 * not parse or uses what the dialect refuses. With `aggregates`, calls of the aggregate
 * functions (count, sum, …) are allowed too: a window's output fields.
 */
export function parseExpression(text: string, { aggregates = false }: { aggregates?: boolean } = {}): AST {
  let tree: AST;
  try {
    tree = parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /at (\d+):(\d+)/.exec(message);
    const column = at === null ? 1 : columnOf(text, Number(at[1]), Number(at[2]));
    throw new ExpressionError(`${message.split('\n')[0]!.replace(/ at \d+:\d+$/, '')} at column ${column}`, column);
  }
  if (tree === '' || tree === undefined) throw new ExpressionError('the expression is empty', 1);
  const counter = { nodes: 0, aggregates };
  checkTree(tree, text, counter, false);
  return tree;
}

/** Column in the whole text of a line:column position (an expression may span lines in YAML block strings). */
function columnOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  let offset = 0;
  for (let index = 0; index < line - 1 && index < lines.length; index++) offset += lines[index]!.length + 1;
  return offset + column;
}

function locationOf(node: AST): number {
  const at = (node as { loc?: number }).loc;
  return at === undefined ? 1 : at + 1;
}

function checkTree(node: AST, text: string, counter: { nodes: number; aggregates: boolean }, asArguments: boolean): void {
  counter.nodes += 1;
  if (counter.nodes > EXPRESSION_NODES_MAX) throw new ExpressionError(`the expression has more than ${EXPRESSION_NODES_MAX} parts`, 1);
  if (node === null || typeof node === 'string' || !Array.isArray(node)) return;
  const [operation, ...operands] = node as unknown[];
  if (operation === undefined || operation === null) return;
  const op = String(operation);
  if (op === ',' && asArguments) {
    for (const operand of operands) checkTree(operand as AST, text, counter, false);
    return;
  }
  if (!ALLOWED_OPERATORS.has(op)) throw new ExpressionError(`"${op}" is not allowed in an expression (column ${locationOf(node)})`, locationOf(node));
  if (op === '[]' && operands.length < 2) throw new ExpressionError(`list literals are not allowed (column ${locationOf(node)})`, locationOf(node));
  if (op === '()' && operands.length === 2) {
    const [callee, args] = operands as [AST, AST | null];
    if (typeof callee !== 'string') throw new ExpressionError(`only named functions can be called (column ${locationOf(node)})`, locationOf(node));
    if (!Object.hasOwn(SCALAR_FUNCTIONS, callee) && !(counter.aggregates && isAggregateFunction(callee))) {
      const known = Object.keys(SCALAR_FUNCTIONS).join(', ');
      const hint = isAggregateFunction(callee) ? `${callee}() aggregates records: it belongs in a window's aggregate` : `known: ${known}`;
      throw new ExpressionError(`unknown function ${callee}() at column ${locationOf(node)}; ${hint}`, locationOf(node));
    }
    if (args !== null) checkTree(args, text, counter, true);
    return;
  }
  for (const operand of operands) if (operand !== undefined && operand !== null) checkTree(operand as AST, text, counter, false);
}

/** A call's argument list as nodes: none, one, or the items of a `,` sequence. */
export function argumentNodes(args: AST | null | undefined): AST[] {
  if (args === null || args === undefined) return [];
  if (Array.isArray(args) && args[0] === ',') return args.slice(1) as AST[];
  return [args];
}

/** Compiles a checked tree into a function of a record scope. */
export function compileTree(tree: AST): (scope: RecordScope) => unknown {
  return compile(tree) as (scope: RecordScope) => unknown;
}

/** The name under which a window output's compiled expression reads aggregate `index`. */
export function aggregateReference(index: number): string {
  return `${AGGREGATE_REFERENCE_PREFIX}${index}`;
}
