// After the first visit the page works offline: the service worker serves the app shell, both
// wasm modules and the samples from its cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, waitForResults } from './lib/harness.mjs';

test('works offline after the first load', async () => {
  const b = await launch();
  const { page, context } = b;
  try {
    await open(page);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    // The first visit installs the worker; the page is controlled from the next navigation on.
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const cached = await page.evaluate(async () => {
      const keys = await caches.keys();
      const cache = await caches.open(keys.find((k) => k.startsWith('connscope-')));
      return (await cache.keys()).map((r) => new URL(r.url).pathname);
    });
    for (const f of ['connscope_app_bg.wasm', 'connscope_worker_bg.wasm', 'worker.js', 'style.css', 'samples/cert-warning-clickthrough.pcap']) {
      assert.ok(cached.some((p) => p.endsWith('/' + f)), `${f} is cached`);
    }
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('[data-sample="cert-warning-clickthrough.pcap"]');
    await page.click('[data-sample="cert-warning-clickthrough.pcap"]');
    await waitForResults(page, 0);
    const n = Number((await page.textContent('[data-testid=summary-connections] .num')).replace(/,/g, ''));
    assert.ok(n > 0, 'the sample was analysed offline');
    await context.setOffline(false);
  } finally {
    await b.close();
  }
});
