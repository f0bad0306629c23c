// Expressions as the steps use them: a plain expression (filter, map, dedupe, a window's
// time) or a window's output fields, whose aggregate calls (avg(temp), count()) are pulled
// out into accumulators and replaced by references to their results.
import { aggregateReference, argumentNodes, compileTree, ExpressionError, parseExpression, type AST } from './dialect.ts';
import { isAggregateFunction, type AggregateFunction } from './functions.ts';
import type { RecordScope } from './record-scope.ts';

export type Evaluate = (scope: RecordScope) => unknown;

export function compileExpression(text: string): Evaluate {
  return compileTree(parseExpression(text));
}

/** One accumulator of a window: its function and the expression it takes per record (none for count()). */
export interface AggregateSpec {
  fn: AggregateFunction;
  argument: Evaluate | undefined;
}

export interface AggregateFields {
  aggregates: AggregateSpec[];
  /** Output fields in declaration order, computed from the aggregates' results. */
  fields: { name: string; evaluate: Evaluate }[];
}

/** A window's `aggregate:` map. ExpressionError names the field (in its message) and the column. */
export function compileAggregateFields(declared: Record<string, string>): AggregateFields {
  const aggregates: AggregateSpec[] = [];
  const indexByText = new Map<string, number>();
  const fields = Object.entries(declared).map(([name, text]) => {
    try {
      const tree = parseExpression(text, { aggregates: true });
      let found = 0;
      const rewritten = rewrite(tree, (fn, args) => {
        found += 1;
        const argumentList = argumentNodes(args);
        if (argumentList.length > 1) throw new ExpressionError(`${fn}() takes one argument, not ${argumentList.length}`, 1);
        if (fn !== 'count' && argumentList.length === 0) throw new ExpressionError(`${fn}() needs the value to aggregate, e.g. ${fn}(temp)`, 1);
        const argument = argumentList[0];
        if (argument !== undefined) rewrite(argument, (inner) => { throw new ExpressionError(`${inner}() inside ${fn}(): aggregates do not nest`, 1); });
        const identity = `${fn}|${JSON.stringify(argument ?? null)}`;
        let index = indexByText.get(identity);
        if (index === undefined) {
          index = aggregates.length;
          aggregates.push({ fn, argument: argument === undefined ? undefined : compileTree(argument) });
          indexByText.set(identity, index);
        }
        return aggregateReference(index);
      });
      if (found === 0) throw new ExpressionError('a window\'s output field needs an aggregate: count(), sum(x), min(x), max(x), avg(x), first(x) or last(x)', 1);
      const stray = fieldOutsideAggregates(rewritten);
      if (stray !== undefined) throw new ExpressionError(`field ${stray} is used outside an aggregate; a window's output is computed from its aggregates (and $key)`, 1);
      return { name, evaluate: compileTree(rewritten) };
    } catch (error) {
      if (error instanceof ExpressionError) throw new ExpressionError(`aggregate ${name}: ${error.message}`, error.column);
      throw error;
    }
  });
  return { aggregates, fields };
}

/** A copy of `tree` with each aggregate call replaced by what `replace` returns (a name node). */
function rewrite(tree: AST, replace: (fn: AggregateFunction, args: AST | null) => AST): AST {
  if (!Array.isArray(tree)) return tree;
  const [operation, ...operands] = tree as unknown[];
  if (operation === '()' && operands.length === 2 && typeof operands[0] === 'string' && isAggregateFunction(operands[0])) {
    return replace(operands[0], operands[1] as AST | null);
  }
  const copy = [operation, ...operands.map((operand) => (operand === null || operand === undefined ? operand : rewrite(operand as AST, replace)))] as unknown as AST;
  const at = (tree as { loc?: number }).loc;
  if (at !== undefined) (copy as { loc?: number }).loc = at;
  return copy;
}

/** A bare field name outside any aggregate ($-names and aggregate references are fine). */
function fieldOutsideAggregates(tree: AST): string | undefined {
  if (typeof tree === 'string') return tree.startsWith('$') || tree.startsWith('#') ? undefined : tree;
  if (!Array.isArray(tree)) return undefined;
  const [operation, ...operands] = tree as unknown[];
  if (operation === undefined || operation === null) return undefined;
  // The property name of a.b is not a field.
  const isCall = operation === '()' && operands.length === 2;
  const checked = operation === '.' ? operands.slice(0, 1) : isCall ? operands.slice(1) : operands;
  for (const operand of checked) {
    if (operand === null || operand === undefined) continue;
    const stray = fieldOutsideAggregates(operand as AST);
    if (stray !== undefined) return stray;
  }
  return undefined;
}
