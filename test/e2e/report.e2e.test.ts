import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { magnetCli } from '../helpers/cli';
import { launchChromium, openFile, screenshot } from '../helpers/browser';
import { makeRunDir } from '../helpers/run';
import { temporalAddress } from '../helpers/temporal';
import { startFakeOpenAI, type FakeServer } from '../fakes';

/**
 * `magnet run` through the CLI writes the estimate before the run and the HTML report after it; the report
 * renders in headless Chromium with no console error and no request at all (it works offline), and shows
 * every section, estimate beside the actual figures, and conversations as chats linked to the Temporal UI.
 */
const KEY = 'sk-fake-report';
const UI = 'http://127.0.0.1:1';

let server: FakeServer;
let browser: Browser;
beforeAll(async () => {
  server = await startFakeOpenAI();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('magnet run writes estimate.json and report.html; the report renders in Chromium with no errors', async () => {
  const { home, configFile } = makeRunDir({
    seed: 3,
    conversations: 6,
    concurrency: { conversations: 3 },
    llm: {
      providers: {
        fake: {
          kind: 'openai',
          baseURL: `${server.url}/v1`,
          apiKeyEnv: 'REPORT_KEY',
          requestsPerSecond: 200,
          timeoutMs: 20_000,
        },
      },
      default: { provider: 'fake', model: 'teacher-1' },
      prices: { 'teacher-1': { input: 2.5, output: 10 } },
    },
  });
  const runId = `report-${Date.now()}`;
  const env = {
    TEMPORAL_ADDRESS: temporalAddress(),
    MAGNET_HOME: home,
    REPORT_KEY: KEY,
    MAGNET_TEMPORAL_UI_URL: UI,
  };

  // --dry-run prints the estimate and starts nothing
  const dry = await magnetCli(['run', '--config', configFile, '--run-id', runId, '--dry-run'], env);
  expect(dry.stderr).toBe('');
  expect(dry.code).toBe(0);
  expect(dry.stdout).toMatch(/estimate: 6 conversations/);
  expect(dry.stdout).toMatch(/back_translate\s+fake\/teacher-1/);
  const runDir = path.join(home, 'runs', runId);
  expect(existsSync(runDir)).toBe(false);

  const run = await magnetCli(['run', '--config', configFile, '--run-id', runId], env);
  // (the progress bar goes to stderr)
  expect(run.stderr).not.toMatch(/error/i);
  expect(run.code).toBe(0);
  const reported = /HTML report: (.+\.html)/.exec(run.stdout)?.[1];
  expect(reported).toBe(path.join(runDir, 'report.html'));
  expect(existsSync(path.join(runDir, 'estimate.json'))).toBe(true);

  // status sets the estimate beside the ledger
  const status = await magnetCli(['status', runId], env);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain('estimate vs actual (call ledger');
  expect(status.stdout).toMatch(/back_translate\s+\d+ \/ \d+/);

  // magnet report writes it again wherever asked
  const out = path.join(home, 'again.html');
  const again = await magnetCli(['report', runId, '--out', out], env);
  expect(again.code).toBe(0);
  expect(again.stdout.trim()).toBe(`report: ${out}`);

  const html = readFileSync(out, 'utf8');
  // self-contained: no script, stylesheet or image is fetched from anywhere
  expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|@import|url\(/i);

  const { page, problems, requests } = await openFile(browser, out);
  const shot = await screenshot(page, 'report.png');
  console.log(`report screenshot: ${shot}`);
  expect(problems).toEqual([]);
  expect(requests).toEqual([]);
  for (const id of ['status', 'shape', 'ops', 'failures', 'usage', 'graph', 'samples'])
    expect(await page.locator(`h2#${id}`).count()).toBe(1);
  for (const id of ['turns-chart', 'calls-chart', 'labels-chart', 'usage-chart', 'degree-chart'])
    expect(await page.locator(`svg#${id} rect`).count()).toBeGreaterThan(0);
  // estimate beside the actual figures, per role
  const usage = page.locator('table', { hasText: 'input tokens' });
  const usageText = await usage.innerText();
  for (const role of ['dependency_judge', 'back_translate', 'forth_translate', 'teacher'])
    expect(usageText).toContain(role);
  expect(await usage.locator('td', { hasText: 'est.' }).count()).toBeGreaterThan(0);
  // chats: user, assistant, tool calls and results, labels; each linked to its workflow in the UI
  const convs = page.locator('details.conv');
  expect(await convs.count()).toBeGreaterThan(0);
  expect(await page.locator('.msg.user').count()).toBeGreaterThan(0);
  expect(await page.locator('.msg.call').count()).toBeGreaterThan(0);
  expect(await page.locator('.msg.tool').count()).toBeGreaterThan(0);
  expect(await page.locator('.turn .label').count()).toBeGreaterThan(0);
  const href = await convs.first().locator('summary a').getAttribute('href');
  const prefix = `${UI}/namespaces/default/workflows/${encodeURIComponent(`${runId}/conv-`)}`;
  expect(href?.startsWith(prefix) && /^\d{5}$/.test(href.slice(prefix.length))).toBe(true);
  await page.close();
});
