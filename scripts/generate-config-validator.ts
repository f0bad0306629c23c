// Writes shared/config/validate-config.generated.js (and its .d.ts) from the schema: `npm run
// generate:config-validator` after a change to the schema; a test fails while the file is
// out of date.
import { writeFileSync } from 'node:fs';
import { configValidatorSource, configValidatorTypes, GENERATED_TYPES_PATH, GENERATED_VALIDATOR_PATH } from '../shared/config/validator-source.ts';

writeFileSync(GENERATED_VALIDATOR_PATH, configValidatorSource());
writeFileSync(GENERATED_TYPES_PATH, configValidatorTypes());
