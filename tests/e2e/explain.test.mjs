// The explanation in the page: the headline links to the cause's concept card, the card sits
// next to the explanation, and the list and the waterfall mark the related connections (the
// rejected attempts before a retry). QUIC connections get their own phase colours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, open, generation, waitForResults, loadViaDrop, cliReport, corpus, LAB } from './lib/harness.mjs';

const SAMPLE = 'cert-warning-clickthrough.pcap';

test('concept card next to the explanation, related connections marked', async () => {
  const b = await launch();
  const { page } = b;
  try {
    const report = cliReport(path.join(LAB, SAMPLE));
    const retry = report.connections.find((c) => c.explanation?.cause === 'retry_after_cert_warning');
    assert.ok(retry, 'the core finds the retry after the warning');
    const related = retry.explanation.related;
    assert.ok(related.length > 0, 'the retry names the rejected attempts');

    await open(page);
    const before = await generation(page);
    await page.click(`[data-sample="${SAMPLE}"]`);
    await waitForResults(page, before);
    assert.equal(await page.locator('.row.related, .wrow.related').count(), 0, 'nothing marked before a selection');

    await page.click(`[data-testid=conn-list] [data-conn-id="${retry.id}"]`);
    await page.waitForSelector(`[data-testid=detail][data-conn-id="${retry.id}"]`);
    // The card of the cause, with its four parts.
    const card = page.locator('[data-testid=concept-card]');
    assert.equal(await card.getAttribute('data-cause'), 'retry_after_cert_warning');
    const headings = await card.locator('h4').allTextContents();
    for (const h of ['What it is', 'Why browsers do it', 'See it in Wireshark']) assert.ok(headings.includes(h), `card has "${h}"`);
    assert.ok((await card.locator('p').first().textContent()).length > 40, 'the card says something');
    // The headline links to it, and following the link brings the card into view.
    const link = page.locator('[data-testid=headline-card-link]');
    assert.equal(await link.textContent(), retry.explanation.headline);
    assert.equal(await link.getAttribute('href'), '#concept-retry_after_cert_warning');
    await link.click();
    // In view, and below the panel's sticky header (not hidden under it).
    const inView = () => {
      const c = document.querySelector('[data-testid=concept-card]').getBoundingClientRect();
      const head = document.querySelector('[data-testid=detail] .detail-head').getBoundingClientRect();
      return c.top >= head.bottom - 1 && c.top < window.innerHeight;
    };
    await page.waitForFunction(inView, null, { timeout: 5000 }).catch(async () => {
      const r = await page.evaluate(() => ({ top: document.querySelector('[data-testid=concept-card]').getBoundingClientRect().top, h: window.innerHeight, scroll: document.querySelector('[data-testid=detail]').scrollTop, url: location.href }));
      assert.fail(`the card is not in view after following the headline link: ${JSON.stringify(r)}`);
    });

    // The list marks exactly the related connections.
    const marked = async (sel) => (await page.$$eval(sel, (els) => els.map((e) => Number(e.dataset.connId)))).sort((a, b) => a - b);
    assert.deepEqual(await marked('[data-testid=conn-list] .row.related'), [...related].sort((a, b) => a - b));
    // So does the waterfall.
    await page.click('[role=tab]#tab-waterfall');
    await page.waitForSelector('[data-testid=waterfall] .wrow.conn');
    assert.deepEqual(await marked('[data-testid=waterfall] .wrow.related'), [...related].sort((a, b) => a - b));
    assert.equal(await page.locator('[data-testid=waterfall] .wrow.related .c-related').count(), related.length);

    // A drag on the tracks pans (once zoomed in), and is no click: the detail stays.
    await page.click('[aria-label="Zoom in"]');
    await page.click('[aria-label="Zoom in"]');
    const windowBefore = await page.textContent('[data-testid=wf-window]');
    const track = await page.locator(`[data-testid=waterfall] .wrow[data-conn-id="${related[0]}"] .w-track`).boundingBox();
    await page.mouse.move(track.x + 200, track.y + 5);
    await page.mouse.down();
    await page.mouse.move(track.x + 120, track.y + 5, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction((w) => document.querySelector('[data-testid=wf-window]').textContent !== w, windowBefore);
    assert.equal(await page.locator('[data-testid=detail]').getAttribute('data-conn-id'), String(retry.id));

    // Another connection's card is its own; a rejected attempt relates to nothing.
    const first = report.connections.find((c) => c.id === related[0]);
    await page.click(`[data-testid=waterfall] .wrow[data-conn-id="${first.id}"] .w-label`);
    await page.waitForSelector(`[data-testid=detail][data-conn-id="${first.id}"]`);
    assert.equal(await page.locator('[data-testid=concept-card]').getAttribute('data-cause'), first.explanation.cause);
    assert.equal(await page.locator('[data-testid=waterfall] .wrow.related').count(), first.explanation.related.length);
  } finally {
    await b.close();
  }
});

test('QUIC connections are drawn with QUIC phases', async (t) => {
  const files = corpus(['zeek-quic-chromium-api-cirrus.pcap'], t);
  if (!files) return;
  const b = await launch();
  const { page } = b;
  try {
    const report = cliReport(files[0]);
    const quic = report.connections.filter((c) => c.transport === 'quic');
    assert.ok(quic.length > 0);
    const kinds = new Set(quic.flatMap((c) => c.phases.map((p) => p.kind)));
    assert.ok(kinds.has('quic_initial'), `phases: ${[...kinds]}`);
    await open(page);
    await loadViaDrop(page, files[0]);
    await page.click('[role=tab]#tab-waterfall');
    const row = `[data-testid=waterfall] .wrow[data-conn-id="${quic[0].id}"]`;
    await page.waitForSelector(row);
    for (const kind of quic[0].phases.map((p) => p.kind)) {
      const fills = await page.$$eval(`${row} rect.ph-${kind}`, (els) => els.map((e) => e.getAttribute('fill')));
      assert.ok(fills.length > 0, `${kind} is drawn`);
      assert.notEqual(fills[0], '#BDBDBD', `${kind} has its own colour, not "other"`);
    }
    const legend = await page.textContent('[data-testid=waterfall] .legend');
    for (const label of ['QUIC Initial', 'QUIC handshake', 'QUIC 1-RTT data']) assert.ok(legend.includes(label), `legend names ${label}`);
  } finally {
    await b.close();
  }
});
