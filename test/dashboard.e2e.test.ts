// The dashboard in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against a real controller and a real worker serving the
// bundled models. The page loads from the controller's HTTP port, shows det,
// rec and cls, and its numbers move while requests are served, without a
// reload; names are shown as text, whatever they hold; with tokens, the page
// asks for one. No Chromium is a failure saying how to install it, not a skip.
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';

const CHROMIUM = process.env.PUNCTUAL_CHROMIUM ?? '/usr/bin/chromium';
const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>&amp;';

function chromiumPath(): string {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: the dashboard's browser test needs one. Install it with "apt-get install chromium" (Debian; .ci/run does), or point PUNCTUAL_CHROMIUM at a Chromium or Chrome binary`);
  }
  return CHROMIUM;
}

/** A page that records its script errors and failed requests. */
async function openPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  return { page, problems };
}

/** The number a cell shows ("1,234" → 1234). */
async function cellNumber(page: Page, selector: string): Promise<number> {
  const text = await page.locator(selector).first().textContent();
  return Number((text ?? '').replace(/[^0-9.]/g, ''));
}

// Counted as a failed test of its own (besides the suites' setup failing) when Chromium is missing.
it('finds Chromium (apt-get install chromium)', () => {
  expect(() => chromiumPath()).not.toThrow();
});

describe('the dashboard in Chromium', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    const executablePath = chromiumPath();
    cluster = await TestCluster.withDefaultRepo();
    await cluster.startController();
    cluster.startWorker({ extra: ['--name', HOSTILE] });
    await cluster.waitForWorkers(1);
    base = `http://127.0.0.1:${cluster.httpPort}`;
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it('loads from /, shows det, rec and cls, and its numbers move under load without a reload', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${base}/`);
    expect(page.url()).toBe(`${base}/dashboard/`);
    for (const m of ['det@1', 'rec@1', 'cls@1']) await page.locator(`tr[data-model="${m}"]`).waitFor({ timeout: 10_000 });
    await expect(page.title()).resolves.toBe('Punctual dashboard');
    // The executor, with what the worker's warm-up loaded on it.
    await page.locator('[data-executor="w1/0"] [data-field="holds"] .chip').first().waitFor({ timeout: 10_000 });
    const budget = await page.locator('[data-executor="w1/0"] [data-field="memory"]').textContent();
    expect(budget).toMatch(/ \/ 1\.0 GiB$/);

    const before = {
      cls: await cellNumber(page, 'tr[data-model="cls@1"] [data-field="total-ok"]'),
      det: await cellNumber(page, 'tr[data-model="det@1"] [data-field="total-ok"]'),
      rejected: await cellNumber(page, 'tr[data-model="cls@1"] [data-field="total-rejected"]'),
    };
    const polls = Number(await page.locator('body').getAttribute('data-polls'));
    // A reload would lose this.
    await page.evaluate('window.sameDocument = true');

    // Load: 60 cls and 15 det answered within a generous SLO, 5 cls asked for the impossible.
    const x = { cls: randomFloat32([...SHAPES.cls]), det: randomFloat32([...SHAPES.det]) };
    const ok = await Promise.all([
      ...Array.from({ length: 60 }, () => cluster.client.infer('cls', { x: x.cls }, { sloMs: 10_000 })),
      ...Array.from({ length: 15 }, () => cluster.client.infer('det', { x: x.det }, { sloMs: 10_000 })),
    ]);
    expect(ok).toHaveLength(75);
    const rejected = await Promise.allSettled(Array.from({ length: 5 }, () => cluster.client.infer('cls', { x: x.cls }, { sloMs: 0.01 })));
    expect(rejected.every((r) => r.status === 'rejected')).toBe(true);

    // The page catches up on its own.
    const shown = async (): Promise<number[]> => [
      await cellNumber(page, 'tr[data-model="cls@1"] [data-field="total-ok"]'),
      await cellNumber(page, 'tr[data-model="det@1"] [data-field="total-ok"]'),
      await cellNumber(page, 'tr[data-model="cls@1"] [data-field="total-rejected"]'),
    ];
    const want = [before.cls + 60, before.det + 15, before.rejected + 5];
    await expect.poll(async () => (await shown()).every((n, i) => n >= want[i]!), { timeout: 10_000, interval: 200 }).toBe(true);
    const cls = page.locator('tr[data-model="cls@1"]');
    expect(await cls.locator('[data-field="attainment"]').textContent()).toMatch(/^\d+(\.\d+)? %$/);
    expect(await cellNumber(page, 'tr[data-model="cls@1"] [data-field="goodput"]')).toBeGreaterThan(0);
    expect(await cls.locator('[data-field="rejected"] [data-reason="slo_unattainable"]').textContent()).toMatch(/^5 SLO unattainable$/);
    expect(await cls.locator('[data-field="latency"]').textContent()).toMatch(/^[\d.]+ ms \/ [\d.]+ ms$/);
    expect(await cls.locator('[data-field="resident"] .chip').allTextContents()).toContain('w1/0');
    expect(await cellNumber(page, '#cards [data-field="total-ok"]')).toBeGreaterThanOrEqual(75);
    expect(await cellNumber(page, '[data-executor="w1/0"] [data-field="utilisation"]')).toBeGreaterThan(0);

    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect(Number(await page.locator('body').getAttribute('data-polls'))).toBeGreaterThan(polls);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a hostile worker name as the text it is', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${base}/dashboard/`);
    const worker = page.locator('[data-executor="w1/0"] [data-field="worker"]');
    await worker.waitFor({ timeout: 10_000 });
    expect(await worker.textContent()).toBe(HOSTILE);
    expect(await page.locator('img, main script').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows hostile model names and reasons as text (names the registry itself would refuse)', async () => {
    const { page, problems } = await openPage(browser);
    // The controller's own answer, with names no model may have (MODEL_NAME_PATTERN), so the page's escaping is tested, not the registry's rules.
    await page.route('**/dashboard/state.json', async (route) => {
      const res = await route.fetch();
      const s = (await res.json()) as { models: { key: string; name: string; window: { rejectedBy: Record<string, number> } }[] };
      const m = s.models[0]!;
      m.name = HOSTILE;
      m.key = `${HOSTILE}@1`;
      m.window.rejectedBy = { [HOSTILE]: 3 };
      await route.fulfill({ response: res, json: s });
    });
    await page.goto(`${base}/dashboard/`);
    const name = page.locator('#models tbody tr').first().locator('[data-field="name"]');
    await name.waitFor({ timeout: 10_000 });
    expect(await name.textContent()).toBe(HOSTILE);
    expect(await page.locator('#models tbody tr').first().getAttribute('data-model')).toBe(`${HOSTILE}@1`);
    expect(await page.locator('#models tbody tr').first().locator('[data-field="rejected"]').textContent()).toBe(`3 ${HOSTILE}`);
    expect(await page.locator('img, main script').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('the dashboard of a controller with tokens, in Chromium', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    const executablePath = chromiumPath();
    cluster = await TestCluster.withDefaultRepo(['cls']);
    cluster.token = 'admin-secret';
    await cluster.startController(['--admin-token', 'admin-secret', '--infer-token', 'infer-secret']);
    cluster.startWorker();
    await cluster.waitForWorkers(1);
    base = `http://127.0.0.1:${cluster.httpPort}`;
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it('asks for a token, refuses a wrong one, shows the models with the infer token; #token= works too', async () => {
    const { page, problems } = await openPage(browser);
    // The 401 and 403 of state.json are expected here.
    const answers: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/state.json')) answers.push(r.status());
    });
    await page.goto(`${base}/dashboard/`);
    const form = page.locator('#token-form');
    await form.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#models tbody tr').count()).toBe(0);

    await page.fill('#token-input', 'wrong');
    await page.click('#token-form button');
    await page.locator('#token-error').filter({ hasText: 'not accepted' }).waitFor({ timeout: 10_000 });

    await page.fill('#token-input', 'infer-secret');
    await page.click('#token-form button');
    await page.locator('tr[data-model="cls@1"]').waitFor({ timeout: 10_000 });
    expect(await form.isHidden()).toBe(true);
    expect(answers.slice(0, 2)).toEqual([401, 403]);
    expect(answers.at(-1)).toBe(200);

    // A new tab (fresh sessionStorage) given the token in the fragment, which then leaves the address.
    const second = await openPage(browser);
    await second.page.goto(`${base}/dashboard/#token=infer-secret`);
    await second.page.locator('tr[data-model="cls@1"]').waitFor({ timeout: 10_000 });
    expect(second.page.url()).toBe(`${base}/dashboard/`);
    expect(second.problems.filter((p) => !/401|403/.test(p))).toEqual([]);
    expect(problems.filter((p) => !/401|403/.test(p))).toEqual([]);
    await second.page.close();
    await page.close();
  });
});
