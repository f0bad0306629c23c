// The fleet page: a shell (fleet-ui/index.html) and browser modules that draw the edge
// list (sortable, filterable, with sparklines) and a page per edge from the JSON API, and
// refresh them in place. Modules shared with the edge console come from shared/web.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const UI_DIRECTORY = join(import.meta.dirname, 'fleet-ui');
const SHARED_WEB_DIRECTORY = join(import.meta.dirname, '..', 'shared', 'web');
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The file served at `path`, or undefined; only names inside the two folders, never a path that climbs out. */
export async function fleetPageFile(path: string): Promise<{ body: Buffer; type: string } | undefined> {
  let file: string | undefined;
  if (path === '/') file = join(UI_DIRECTORY, 'index.html');
  else if (path.startsWith('/fleet/web/')) file = inside(SHARED_WEB_DIRECTORY, path.slice('/fleet/web/'.length));
  else if (path.startsWith('/fleet/')) file = inside(UI_DIRECTORY, path.slice('/fleet/'.length));
  if (file === undefined || !(extname(file) in CONTENT_TYPES)) return undefined;
  try {
    return { body: await readFile(file), type: CONTENT_TYPES[extname(file)]! };
  } catch {
    return undefined;
  }
}

function inside(directory: string, name: string): string | undefined {
  if (!/^[a-z0-9-]+\.[a-z]+$/.test(name)) return undefined;
  const file = normalize(join(directory, name));
  return file.startsWith(directory) ? file : undefined;
}
