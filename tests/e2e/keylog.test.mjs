// Key logs in the page: dropped with the capture, added afterwards, bundled with a sample. The
// decrypted report equals the CLI's `--keylog` report; every HTTP/2 request gets its own bar in
// the waterfall and a line in the detail; the secrets never reach the export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, open, loadViaDrop, dropFiles, generation, waitForResults, cliReport, assertMatchesReport, download, LAB } from './lib/harness.mjs';

const PCAP = path.join(LAB, 'h2-30-images.pcap');
const KEYS = path.join(LAB, 'h2-30-images.keys');

const decryptedCount = (r) => r.connections.filter((c) => (c.tls && c.tls.decrypted) || (c.quic && c.quic.decrypted_packets > 0)).length;
const encryptedCount = (r) => r.connections.filter((c) => c.tls || c.quic).length;

test('a key log dropped with its capture decrypts it, as the CLI does', async () => {
  const b = await launch();
  const { page } = b;
  try {
    const plain = cliReport(PCAP);
    const report = cliReport(PCAP, KEYS);
    assert.equal(decryptedCount(plain), 0);
    assert.ok(decryptedCount(report) > 0, 'the CLI decrypts the lab capture with its key log');

    // Capture and key log in one drop (the key log first: the page sorts them by content).
    await open(page);
    await loadViaDrop(page, [KEYS, PCAP]);
    await assertMatchesReport(page, report, 'h2-30-images.pcap');
    const dec = await page.textContent('[data-testid=summary-decryption]');
    assert.match(dec, new RegExp(`${decryptedCount(report)} of ${encryptedCount(report)} TLS/QUIC connections decrypted`));
    assert.match(dec, /h2-30-images\.keys/);

    // The connection that carried the images: one bar per request in its waterfall row.
    const h2 = report.connections.reduce((a, c) => ((c.http?.requests.length || 0) > (a.http?.requests.length || 0) ? c : a));
    const requests = h2.http.requests;
    assert.ok(requests.length >= 30, `${requests.length} requests on the HTTP/2 connection`);
    await page.click('[role=tab]#tab-waterfall');
    const row = `[data-testid=waterfall] .wrow[data-conn-id="${h2.id}"]`;
    await page.waitForSelector(row);
    const exchanges = await page.$$eval(`${row} rect.ph-req`, (els) => [...new Set(els.map((e) => e.dataset.exchange))]);
    assert.equal(exchanges.length, requests.length, 'every request has a bar');
    // Overlapping streams sit in lanes: the bars do not all share one y.
    const ys = await page.$$eval(`${row} rect.ph-req`, (els) => new Set(els.map((e) => e.getAttribute('y'))).size);
    assert.ok(ys > 1, 'multiplexed requests are drawn in lanes');
    // A bar's tooltip names its request.
    const box = await page.locator(`${row} rect.ph-req[data-exchange="0"]`).first().boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForSelector('[data-testid=wf-tooltip]:not([hidden])');
    const tip = await page.textContent('[data-testid=wf-tooltip]');
    assert.ok(tip.includes(requests[0].target), `tooltip names the request: ${tip}`);

    // The detail lists every request.
    await page.click('[role=tab]#tab-list');
    await page.click(`[data-testid=conn-list] [data-conn-id="${h2.id}"]`);
    await page.waitForSelector(`[data-testid=detail][data-conn-id="${h2.id}"]`);
    assert.equal(await page.locator('[data-testid=detail] table.requests tbody tr').count(), requests.length);
    for (const r of requests.slice(0, 5)) {
      assert.match(await page.textContent('[data-testid=detail] table.requests'), new RegExp(r.target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    }
    await page.keyboard.press('Escape');

    // The export is the CLI's report and carries no secret from the key log.
    const json = await download(page, '[data-testid=export-json]', 'h2-30-images.decrypted.connscope.json');
    const text = json.bytes.toString('utf8');
    assert.deepEqual(JSON.parse(text), report);
    const secrets = fs.readFileSync(KEYS, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.trim().split(/\s+/)[2]);
    assert.ok(secrets.length > 0);
    for (const s of secrets) assert.ok(!text.toLowerCase().includes(s.toLowerCase()), 'no secret in the export');
  } finally {
    await b.close();
  }
});

test('a key log added afterwards re-runs the analysis with it', async () => {
  const b = await launch();
  const { page } = b;
  try {
    const report = cliReport(PCAP, KEYS);
    await open(page);
    // A key log alone on the landing page has nothing to decrypt: a clear message.
    await dropFiles(page, KEYS);
    await page.waitForSelector('[data-testid=error]');
    assert.match(await page.textContent('[data-testid=error]'), /key log alone has nothing to decrypt/);

    await loadViaDrop(page, PCAP);
    assert.match(await page.textContent('[data-testid=summary-decryption]'), /none: contents stay encrypted/);
    // The toolbar's "Add key log…" input.
    const before = await generation(page);
    await page.setInputFiles('[data-testid=keylog-input]', KEYS);
    await waitForResults(page, before);
    await assertMatchesReport(page, report, 'h2-30-images.pcap');
    assert.match(await page.textContent('[data-testid=summary-decryption]'), new RegExp(`${decryptedCount(report)} of`));

    // Dropping the key log on the results does the same.
    await loadViaDrop(page, PCAP);
    await loadViaDrop(page, KEYS, '.app');
    await assertMatchesReport(page, report, 'h2-30-images.pcap');

    // Two captures at once: refused with a message naming both, the report stays.
    await dropFiles(page, [PCAP, path.join(LAB, 'h2-30-images.pcap')], '.app');
    await page.waitForSelector('[data-testid=error]');
    assert.match(await page.textContent('[data-testid=error]'), /one capture at a time/);
    assert.equal(await page.locator('[data-testid=results]').count(), 1);
  } finally {
    await b.close();
  }
});

test('a bundled sample opens with its key log', async () => {
  const b = await launch();
  const { page } = b;
  try {
    await open(page);
    await page.waitForSelector('[data-sample-keys="h2-30-images.pcap"]');
    const before = await generation(page);
    await page.click('[data-sample-keys="h2-30-images.pcap"]');
    await waitForResults(page, before);
    const report = cliReport(PCAP, KEYS);
    await assertMatchesReport(page, report, 'h2-30-images.pcap');
    assert.match(await page.textContent('[data-testid=summary-decryption]'), new RegExp(`${decryptedCount(report)} of ${encryptedCount(report)}`));
  } finally {
    await b.close();
  }
});
