// The JSON Schema of the YAML file, for editors (published as deploy/tributary.schema.json
// by `npm run schema`). It loads TypeBox's schema, so only `tributary config schema` and
// the tests import it; the daemon validates with the generated module instead.
import { ConfigSchema } from './schema.ts';

export function configJsonSchema(): string {
  return `${JSON.stringify(ConfigSchema, null, 2)}\n`;
}
