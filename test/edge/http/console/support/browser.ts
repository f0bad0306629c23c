// Debian's Chromium, headless, for the console and fleet page tests; screenshots go to
// test-artifacts/ (not in git).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireProgram } from '../../../../helpers/system-programs.ts';

const ARTIFACTS = resolve(import.meta.dirname, '../../../../../test-artifacts');
/** A value must appear within a few refreshes on a loaded machine; a bound that catches a hang, not a speed claim. */
export const APPEAR_TIMEOUT_MS = 30_000;

export async function launchChromium(): Promise<Browser> {
  // playwright gives each launch a fresh temporary profile (--user-data-dir) and removes it on close.
  return chromium.launch({
    executablePath: requireProgram('chromium'),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
