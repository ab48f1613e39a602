import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Headless Chromium for tests of HTML that people look at: Debian's `chromium` (installed by .ci/run), or
 * CHROMIUM_PATH, driven by playwright-core (which downloads no browser of its own).
 */
export const CHROMIUM =
  process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Where screenshots are kept: test-artifacts/ at the repository root (git-ignored). */
export const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');

export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM)
    throw new Error('no Chromium: apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary)');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

export interface Opened {
  page: Page;
  /** Console errors and warnings, page errors and failed requests, as they happened. */
  problems: string[];
  /** Every URL the page asked for besides itself. */
  requests: string[];
}

/** Opens a local HTML file, recording everything that went wrong and every request it made. */
export async function openFile(
  browser: Browser,
  file: string,
  viewport = { width: 1200, height: 900 },
): Promise<Opened> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  const requests: string[] = [];
  const self = `file://${file}`;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => {
    if (r.url() !== self) requests.push(r.url());
  });
  await page.goto(self, { waitUntil: 'load' });
  return { page, problems, requests };
}

/** A full-page screenshot into ARTIFACTS; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
