// Nothing leaves the page, capture strings are text, and a broken worker or a non-capture file
// leaves the page usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, open, loadViaInput, cliReport, assertMatchesReport, download, ARTIFACTS, BASE_URL, LAB } from './lib/harness.mjs';
import { Pcap, clientHello } from './lib/pcap.mjs';

// Payloads that would run if any capture string reached the DOM as HTML.
const SNI = '"><img src=x onerror="window.__pwned=1;alert(1)">.evil.test';
const HOST = '<script>window.__pwned=2;alert(2)</script>';
// (A request target has no spaces: `/` separates the attributes, as browsers accept.)
const TARGET = '/<svg/onload="window.__pwned=3;alert(3)">?q=</span><img/src=x/onerror=alert(4)>';

function xssCapture() {
  const p = new Pcap();
  const client = { ip: '10.0.0.2', port: 50123 };
  let t = 1_700_000_000;
  t = p.conversation(t, client, { ip: '10.0.0.9', port: 443 }, [{ from: 'client', data: clientHello(SNI) }]);
  t = p.conversation(t + 0.01, { ip: '10.0.0.2', port: 50124 }, { ip: '10.0.0.8', port: 80 }, [
    { from: 'client', data: `GET ${TARGET} HTTP/1.1\r\nHost: ${HOST}\r\nUser-Agent: <b>ua</b>\r\n\r\n` },
    { from: 'server', data: 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 25\r\n\r\n<script>alert(5)</script>' },
  ]);
  const file = path.join(ARTIFACTS, 'xss-payloads.pcap');
  fs.writeFileSync(file, p.bytes());
  return file;
}

test('the Content-Security-Policy allows only this origin and there is no inline script', async () => {
  const html = await (await fetch(BASE_URL)).text();
  const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/);
  assert.ok(csp, 'CSP meta tag');
  const policy = Object.fromEntries(csp[1].split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));
  assert.equal(policy['default-src'], "'self'");
  assert.equal(policy['script-src'], "'self' 'wasm-unsafe-eval'");
  assert.equal(policy['style-src'], "'self'");
  assert.equal(policy['connect-src'], "'self'");
  assert.equal(policy['worker-src'], "'self'");
  assert.ok(!/unsafe-inline|https?:|\*/.test(csp[1]), 'nothing looser');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length >= 1);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, /\bsrc=/, 'every script has a src');
    assert.equal(body.trim(), '', 'no inline script body');
  }
  assert.ok(!/\sstyle=/.test(html), 'no inline style attribute');
  assert.ok(!/https?:\/\//.test(html.replace(/<meta[^>]*>/g, '')), 'no absolute URL in the page');
});

test('capture strings with HTML and script are rendered as text', async () => {
  const file = xssCapture();
  const report = cliReport(file);
  // The capture carries the payloads where the page shows them.
  const sni = report.connections.find((c) => c.tls)?.tls.sni;
  assert.equal(sni, SNI, 'the core reads the SNI payload');
  const req = report.connections.find((c) => c.http)?.http.requests[0];
  assert.equal(req.target, TARGET);
  assert.equal(req.host, HOST);

  const b = await launch();
  const { page } = b;
  try {
    await open(page);
    await loadViaInput(page, file);
    await assertMatchesReport(page, report, 'xss-payloads.pcap');
    const body = await page.textContent('body');
    assert.ok(body.includes(SNI), 'SNI shown as text');
    assert.ok(body.includes(HOST), 'Host shown as text');
    // Detail of the HTTP connection: the request line as text.
    const http = report.connections.find((c) => c.http);
    await page.click(`[data-testid=conn-list] [data-conn-id="${http.id}"]`);
    await page.waitForSelector('[data-testid=detail] .req-line');
    assert.ok((await page.textContent('[data-testid=detail] .req-line')).includes(`GET ${TARGET}`));
    await page.keyboard.press('Escape');
    await page.click('#tab-waterfall');
    await page.waitForSelector('[data-testid=wf-list] .wrow.conn');
    const svg = (await download(page, '[data-testid=export-svg]', 'xss.waterfall.svg')).bytes.toString('utf8');
    const svgCheck = await page.evaluate((t) => {
      const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
      const all = [...doc.querySelectorAll('*')];
      return {
        error: !!doc.querySelector('parsererror'),
        foreign: all.filter((e) => ['script', 'img', 'foreignObject', 'iframe'].includes(e.localName)).length,
        handlers: all.filter((e) => [...e.attributes].some((a) => a.name.toLowerCase().startsWith('on'))).length,
        text: doc.documentElement.textContent,
      };
    }, svg);
    assert.deepEqual([svgCheck.error, svgCheck.foreign, svgCheck.handlers], [false, 0, 0]);
    assert.ok(svgCheck.text.includes(HOST), 'the SVG carries the host as text');
    // Nothing ran and nothing was injected.
    const dom = await page.evaluate(() => ({
      pwned: window.__pwned ?? null,
      imgs: document.querySelectorAll('img').length,
      inlineScripts: [...document.scripts].filter((s) => !s.src).length,
      handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.toLowerCase().startsWith('on'))).length,
    }));
    assert.deepEqual(dom, { pwned: null, imgs: 0, inlineScripts: 0, handlers: 0 });
    assert.deepEqual(b.dialogs, []);
  } finally {
    await b.close();
  }
});

test('a crashed worker and a non-capture file leave the page usable', async () => {
  const b = await launch({ serviceWorkers: 'block' });
  const { page } = b;
  const good = path.join(LAB, 'plain-http-80.pcap');
  try {
    await open(page);
    // The worker dies while starting: the page says so and stays usable.
    await page.route('**/worker.js', (route) =>
      route.fulfill({ contentType: 'text/javascript', body: 'throw new Error("simulated worker crash");' }),
    );
    await page.setInputFiles('[data-testid=file-input]', good);
    await page.waitForSelector('[data-testid=error]');
    assert.match(await page.textContent('[data-testid=error]'), /crash/i);
    assert.equal(await page.locator('[data-testid=progress]').count(), 0, 'no progress bar left behind');
    await page.unroute('**/worker.js');
    // The next good file loads.
    await loadViaInput(page, good);
    await assertMatchesReport(page, cliReport(good), 'plain-http-80.pcap');
    assert.equal(await page.locator('[data-testid=error]').count(), 0, 'the error is gone');
    // A file that is not a capture: the report says so, the page stays.
    const junk = path.join(ARTIFACTS, 'not-a-capture.txt');
    fs.writeFileSync(junk, 'hello, this is not a pcap file\n'.repeat(20));
    await loadViaInput(page, junk);
    assert.match(await page.textContent('[data-testid=read-error]'), /Not a capture/);
    await loadViaInput(page, good);
    assert.equal(await page.locator('[data-testid=read-error]').count(), 0);
  } finally {
    await b.close({ allowConsoleErrors: [/simulated worker crash/] });
  }
});
