import { readdirSync } from 'node:fs';
import path from 'node:path';
import * as activities from '../../src/activities';

const DIR = path.join(__dirname, '../../src/activities');

/**
 * The worker registers every export of src/activities as an activity (src/worker.ts: `activities`), and
 * workflows type their proxies with it: a helper exported there would be registered and offered to
 * workflows as a step. Helpers live in modules the index does not re-export (errors.ts, external.ts) or
 * outside activities/.
 */
test('every export of src/activities is an activity function named *Activity', () => {
  const exports = Object.entries(activities);
  expect(exports.length).toBeGreaterThan(0);
  const others = exports
    .filter(([name, value]) => typeof value !== 'function' || !name.endsWith('Activity'))
    .map(([name]) => name);
  expect(others).toEqual([]);
});

test('every activity of the activity modules is exported by the index (registered)', async () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
  const missing: string[] = [];
  for (const file of files) {
    const mod = (await import(path.join(DIR, file))) as Record<string, unknown>;
    for (const name of Object.keys(mod))
      if (name.endsWith('Activity') && !(name in activities)) missing.push(`${file}: ${name}`);
  }
  expect(missing).toEqual([]);
});
