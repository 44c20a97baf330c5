// The bundled certificate-warning sample: list, explanations, detail, keyboard, waterfall,
// exports, screenshots (also at 375 px in dark mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, open, waitForResults, cliReport, assertMatchesReport, download, ARTIFACTS, LAB, ORIGIN, ROOT } from './lib/harness.mjs';

const SAMPLE = 'cert-warning-clickthrough.pcap';

async function loadSample(page, file = SAMPLE) {
  const before = await page.evaluate(() => Number(document.querySelector('[data-testid=results]')?.dataset.generation || 0));
  await page.click(`[data-sample="${file}"]`);
  await waitForResults(page, before);
}

test('the certificate-warning sample renders its connections and explanations', async () => {
  const b = await launch();
  const { page } = b;
  try {
    await b.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ORIGIN });
    await open(page);
    // Landing: drop zone, privacy line, samples with the classic case first.
    assert.match(await page.textContent('[data-testid=privacy]'), /never leaves your browser/);
    const samples = await page.$$eval('[data-sample]', (els) => els.map((e) => e.dataset.sample));
    assert.equal(samples[0], SAMPLE);
    assert.ok(samples.length >= 5, `samples: ${samples}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'landing.png') });

    const report = cliReport(path.join(LAB, SAMPLE));
    const explained = report.connections.filter((c) => c.explanation);
    assert.ok(explained.length > 0, 'the core explains the sample');
    await loadSample(page);
    await assertMatchesReport(page, report, SAMPLE);

    // The detail of an explained connection (the retry after the warning, when the core finds it).
    const target = explained.find((c) => c.explanation.cause === 'retry_after_cert_warning') || explained[0];
    await page.click(`[data-testid=conn-list] [data-conn-id="${target.id}"]`);
    await page.waitForSelector(`[data-testid=detail][data-conn-id="${target.id}"]`);
    const ex = target.explanation;
    assert.equal(await page.textContent('[data-testid=detail] .ex-headline'), ex.headline);
    if (ex.details) assert.equal(await page.textContent('[data-testid=detail] .ex-details'), ex.details);
    assert.equal(await page.locator('[data-testid=detail] .evidence li').count(), ex.evidence.length);
    for (const ev of ex.evidence.filter((e) => e.frame)) {
      assert.match(await page.textContent('[data-testid=detail] .evidence'), new RegExp(`frame ${ev.frame}\\b`));
    }
    assert.equal(await page.inputValue('[data-testid=ws-filter]'), `tcp.stream eq ${target.stream}`);
    await page.click('[data-testid=copy-filter]');
    await page.waitForFunction(() => document.querySelector('[data-testid=copy-filter]').textContent.startsWith('Copied'));
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `tcp.stream eq ${target.stream}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'detail.png') });
    if (process.env.CONNSCOPE_UPDATE_SCREENSHOT === '1') {
      await page.screenshot({ path: path.join(ROOT, 'docs/screenshot.png') });
    }

    // Keyboard: Escape closes, the list takes arrows and Enter.
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=detail]', { state: 'detached' });
    await page.focus('[data-testid=conn-list]');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=detail]');
    const second = await page.$eval('[data-testid=conn-list] .row.conn.active', (e) => e.dataset.connId);
    assert.equal(await page.$eval('[data-testid=detail]', (e) => e.dataset.connId), second);
    await page.keyboard.press('Escape');

    // Filters: by protocol and by text.
    await page.fill('[data-testid=filter-text]', `#${target.stream} `.trim());
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=conn-list] .row.conn').length >= 1);
    assert.ok((await page.textContent('[data-testid=filter-count]')).includes(`of ${report.connections.length}`));
    await page.fill('[data-testid=filter-text]', 'no such connection anywhere');
    await page.waitForSelector('[data-testid=empty]');
    await page.fill('[data-testid=filter-text]', '');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=conn-list] .row.conn').length === n, report.connections.length);

    // Waterfall: one row per connection on one axis, tooltips in ms, zoom, legend.
    await page.click('#tab-waterfall');
    await page.waitForSelector('[data-testid=waterfall]');
    assert.equal(await page.locator('[data-testid=wf-list] .wrow.conn').count(), report.connections.length);
    const legend = await page.textContent('.legend');
    for (const label of ['Initial connection', 'SSL', 'Request sent', 'Waiting (TTFB)', 'Content Download', 'Idle', 'FIN', 'RST']) {
      assert.ok(legend.includes(label), `legend has ${label}`);
    }
    assert.ok((await page.locator('[data-testid=wf-list] .tick').count()) > 0, 'TLS handshake ticks');
    assert.ok((await page.locator('[data-testid=wf-list] .close').count()) > 0, 'close markers');
    const ssl = page.locator('[data-testid=wf-list] rect.ph-tls_handshake').first();
    const box = await ssl.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForSelector('[data-testid=wf-tooltip]:not([hidden])');
    assert.match(await page.textContent('[data-testid=wf-tooltip]'), /\d ms/);
    const before = await page.textContent('[data-testid=wf-window]');
    await page.click('button[aria-label="Zoom in"]');
    await page.waitForFunction((b) => document.querySelector('[data-testid=wf-window]').textContent !== b, before);
    await page.screenshot({ path: path.join(ARTIFACTS, 'waterfall-zoomed.png') });
    await page.focus('[data-testid=wf-list]');
    await page.keyboard.press('0');
    await page.waitForFunction((b) => document.querySelector('[data-testid=wf-window]').textContent === b, before);
    await page.mouse.move(5, 5);
    await page.screenshot({ path: path.join(ARTIFACTS, 'waterfall.png') });

    // SVG export: well-formed, every connection, DevTools colours.
    const svg = await download(page, '[data-testid=export-svg]', 'cert-warning.waterfall.svg');
    const text = svg.bytes.toString('utf8');
    const check = await page.evaluate((t) => {
      const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
      return { error: !!doc.querySelector('parsererror'), root: doc.documentElement.nodeName, rects: doc.querySelectorAll('rect').length };
    }, text);
    assert.deepEqual([check.error, check.root], [false, 'svg']);
    assert.ok(check.rects > report.connections.length);
    assert.ok(text.includes('#9C27B0') && text.includes('#FF9800'));
    for (const c of report.connections) assert.ok(text.includes(`#${c.stream} :${c.client.port}`));

    // Back to the list view for the overall screenshot.
    await page.click('#tab-list');
    await page.screenshot({ path: path.join(ARTIFACTS, 'results.png'), fullPage: true });
  } finally {
    await b.close();
  }
});

test('375 px wide in dark mode: readable, no horizontal scrolling', async () => {
  const b = await launch({ viewport: { width: 375, height: 812 }, colorScheme: 'dark' });
  const { page } = b;
  try {
    await open(page);
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(await fits(), 'landing fits 375 px');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, bl] = bg.match(/\d+/g).map(Number);
    assert.ok(r + g + bl < 150, `dark background, got ${bg}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'mobile-dark-landing.png') });
    await loadSample(page);
    assert.ok(await fits(), 'results fit 375 px');
    const rowFits = await page.$eval('[data-testid=conn-list] .row.conn', (r) => r.scrollWidth <= r.clientWidth + 1 && r.getBoundingClientRect().right <= window.innerWidth);
    assert.ok(rowFits, 'a connection row fits');
    await page.screenshot({ path: path.join(ARTIFACTS, 'mobile-dark-results.png'), fullPage: true });
    await page.click('[data-testid=conn-list] .row.conn');
    await page.waitForSelector('[data-testid=detail]');
    const panel = await page.$eval('[data-testid=detail]', (d) => d.getBoundingClientRect().width);
    assert.ok(panel <= 375, `detail panel ${panel}px`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'mobile-dark-detail.png') });
    await page.keyboard.press('Escape');
    await page.click('#tab-waterfall');
    await page.waitForSelector('[data-testid=wf-list] .wrow.conn');
    assert.ok(await fits(), 'waterfall fits 375 px');
    await page.screenshot({ path: path.join(ARTIFACTS, 'mobile-dark-waterfall.png') });
  } finally {
    await b.close();
  }
});

test('docs screenshot exists and is small', () => {
  const shot = path.join(ROOT, 'docs/screenshot.png');
  assert.ok(fs.existsSync(shot), 'docs/screenshot.png (CONNSCOPE_UPDATE_SCREENSHOT=1 cargo xtask e2e makes it)');
  assert.ok(fs.statSync(shot).size < 300 * 1024, 'docs/screenshot.png < 300 KB');
});
