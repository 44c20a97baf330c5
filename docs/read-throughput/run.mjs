// How fast can a Web Worker in Chromium read a dropped file, by method and slice size? The
// analysis can be no faster in the page. Usage (after `cargo xtask e2e` installed playwright-core):
//   node docs/read-throughput/run.mjs FILE
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/e2e/package.json'));
const { chromium } = require('playwright-core');
const file = process.argv[2];
if (!file) {
  console.error('usage: node docs/read-throughput/run.mjs FILE');
  process.exit(2);
}
const server = http.createServer((req, res) => {
  const name = req.url === '/' ? 'index.html' : path.basename(req.url);
  const type = name.endsWith('.html') ? 'text/html' : 'text/javascript';
  fs.readFile(path.join(here, name), (err, body) => {
    res.writeHead(err ? 404 : 200, { 'content-type': type });
    res.end(err ? '' : body);
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--headless=new', '--no-sandbox'] });
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.setInputFiles('#f', file);
  const MiB = 1 << 20;
  for (const [method, chunk] of [['sync', 4 * MiB], ['async', 4 * MiB], ['async', 16 * MiB], ['sync', 16 * MiB], ['stream', 0], ['sync', 64 * MiB]]) {
    const r = await page.evaluate(([m, c]) => window.run(m, c), [method, chunk]);
    console.log(`${method.padEnd(6)} ${chunk ? `${chunk / MiB} MiB` : '      '} ${(r.n / 1e6).toFixed(0)} MB in ${r.ms.toFixed(0)} ms: ${r.mbps.toFixed(0)} MB/s`);
  }
} finally {
  await browser.close();
  server.close();
}
