import { Type, type TUnsafe, type SchemaOptions } from '@sinclair/typebox';

/**
 * A value from a fixed list, as a JSON Schema `enum`: one clear error ("must be one of
 * …") instead of TypeBox's union of constants, which reports every branch.
 */
export function oneOf<const T extends readonly (string | number)[]>(values: T, options: SchemaOptions & { default?: T[number] } = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: typeof values[0] === 'number' ? 'integer' : 'string', enum: [...values] });
}
