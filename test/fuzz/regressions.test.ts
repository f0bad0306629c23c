// Every committed fuzz input, replayed through its target without instrumentation: the seed
// corpora (what real clients send) and the inputs of past findings (test/fuzz/regressions,
// each named for what it found). Each must end normally or in the decoder's own typed
// error, within the target's allocation bound. A finding that comes back fails here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installAllocationCounter, takeAllocatedBytes } from './engine/allocations.ts';
import { describeThrown } from './engine/protocol.ts';
import { TARGETS } from './targets/index.ts';
import type { FuzzTarget } from './targets/target.ts';

installAllocationCounter();

for (const [name, entry] of Object.entries(TARGETS)) {
  const target = (await import(new URL(`./targets/${entry.module}`, import.meta.url).href)).default as FuzzTarget;
  for (const folder of ['corpus', 'regressions']) {
    const directory = join(import.meta.dirname, folder, name);
    const files = existsSync(directory) ? readdirSync(directory).filter((file) => !file.endsWith('.md')).sort() : [];
    if (folder === 'regressions' && files.length === 0) continue;
    test(`${name}: the ${files.length} inputs of test/fuzz/${folder}/${name} end in a result or a typed refusal, within the allocation bound`, () => {
      assert.ok(files.length > 0, `test/fuzz/${folder}/${name} holds seed inputs`);
      const problems: string[] = [];
      for (const file of files) {
        const input = readFileSync(join(directory, file));
        takeAllocatedBytes();
        try {
          target.fuzz(input);
        } catch (error) {
          if (!target.isExpectedError(error)) problems.push(`${file}: ${describeThrown(error)}`);
        }
        const allocated = takeAllocatedBytes();
        if (allocated > target.allocationBytesMax(input)) problems.push(`${file}: allocated ${allocated} bytes, bound ${target.allocationBytesMax(input)}`);
      }
      assert.equal(problems, []);
    });
  }
}

test.run();
