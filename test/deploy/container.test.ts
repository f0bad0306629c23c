// The container image definition, checked without a Docker daemon: the base image, the
// user, the volume, and that everything it copies and runs exists in the tree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCKERFILE = readFileSync(join(ROOT, 'deploy/container/Dockerfile'), 'utf8');

/** Instructions with continuation lines joined and comments dropped. */
function instructions(text: string): { keyword: string; argument: string }[] {
  const joined = text.split('\n').filter((line) => !line.trim().startsWith('#')).join('\n').replace(/\\\n/g, ' ');
  return joined.split('\n').map((line) => line.trim()).filter((line) => line !== '').map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword!.toUpperCase(), argument: rest.join(' ') };
  });
}

const steps = instructions(DOCKERFILE);
const all = (keyword: string) => steps.filter((step) => step.keyword === keyword).map((step) => step.argument);

test('both stages build on node:24-bookworm-slim, for any platform buildx asks for', () => {
  assert.ok(all('ARG').includes('NODE_IMAGE=node:24-bookworm-slim'));
  assert.equal(all('FROM'), ['${NODE_IMAGE} AS build', '${NODE_IMAGE}']);
});

test('the image runs as a non-root user with its data on a volume', () => {
  const user = all('USER').at(-1)!;
  assert.is(user, 'tributary:tributary');
  assert.ok(all('VOLUME').includes('/var/lib/tributary'));
  assert.match(all('RUN').join('\n'), /useradd --system --uid 10001/);
  assert.equal(all('ENTRYPOINT'), ['["node", "/opt/tributary/bin/tributary.js"]']);
  assert.equal(all('CMD'), ['["edge", "--config", "/etc/tributary/edge.yaml"]']);
  assert.ok(existsSync(join(ROOT, 'bin/tributary.js')));
});

test('the image gives V8 the small semi-spaces the systemd unit gives it', () => {
  const unit = readFileSync(join(ROOT, 'deploy/systemd/tributary.service'), 'utf8');
  const semiSpace = (text: string) => /--max-semi-space-size=(\d+)/.exec(text)?.[1];
  const imageOptions = all('ENV').find((argument) => argument.startsWith('NODE_OPTIONS='));
  assert.ok(imageOptions, 'the image sets NODE_OPTIONS');
  assert.ok(semiSpace(unit) !== undefined, 'the unit sets --max-semi-space-size');
  assert.is(semiSpace(imageOptions), semiSpace(unit));
});

test('the image keeps the compile cache where the systemd unit keeps it, in a directory its user owns', () => {
  const unit = readFileSync(join(ROOT, 'deploy/systemd/tributary.service'), 'utf8');
  const unitCache = /^Environment=NODE_COMPILE_CACHE=(\S+)$/m.exec(unit)?.[1];
  const imageCache = all('ENV').find((argument) => argument.startsWith('NODE_COMPILE_CACHE='))?.split('=')[1];
  assert.ok(unitCache, 'the unit sets NODE_COMPILE_CACHE');
  assert.is(imageCache, unitCache);
  // systemd creates /var/cache/<CacheDirectory> for the service; the image creates it for its user.
  const cacheDirectory = /^CacheDirectory=(\S+)$/m.exec(unit)?.[1];
  assert.ok(unitCache!.startsWith(`/var/cache/${cacheDirectory}/`), `${unitCache} is inside the unit's CacheDirectory (${cacheDirectory})`);
  const parent = unitCache!.split('/').slice(0, -1).join('/');
  assert.ok(all('RUN').some((argument) => argument.includes(`install -d -o tributary -g tributary -m 0750 ${parent}`)), `the image creates ${parent} for its user`);
});

test('the image sets glibc\'s malloc as the systemd unit sets it', () => {
  const unit = readFileSync(join(ROOT, 'deploy/systemd/tributary.service'), 'utf8');
  const unitMalloc = [...unit.matchAll(/^Environment=(MALLOC_[A-Z_]+=\S+)$/gm)].map((match) => match[1]!);
  assert.ok(unitMalloc.some((setting) => setting.startsWith('MALLOC_ARENA_MAX=')), 'the unit sets MALLOC_ARENA_MAX');
  const imageMalloc = all('ENV').filter((argument) => argument.startsWith('MALLOC_'));
  assert.equal(imageMalloc.sort(), unitMalloc.sort());
});

test('every path the image copies from the context exists and is not ignored', () => {
  const ignore = readFileSync(join(ROOT, 'deploy/container/Dockerfile.dockerignore'), 'utf8');
  for (const argument of all('COPY').filter((copy) => !copy.startsWith('--from'))) {
    const sources = argument.split(/\s+/).slice(0, -1);
    for (const source of sources) {
      assert.ok(existsSync(join(ROOT, source)), `COPY ${source}: not in the tree`);
      const top = source.split('/')[0]!;
      assert.ok(ignore.includes(`!${source}`) || ignore.includes(`!${top}/**`), `COPY ${source}: excluded by Dockerfile.dockerignore`);
    }
  }
});

test.run();
