// Real captures from the shared corpus, loaded by synthetic drag-and-drop and through the file
// input: what the page shows (connections, host groups, protocols, headlines) and the JSON it
// exports must equal the CLI's report for the same file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, open, loadViaDrop, loadViaInput, cliReport, assertMatchesReport, download, corpus } from './lib/harness.mjs';

const FILES = [
  'zeek-wikipedia-pageload.pcap', // a page load over many hosts
  'ndpi-chrome-pageload-tls13-psk.pcap', // TLS 1.3 with resumption
  'zeek-http-pipelined.pcap', // HTTP/1.1 pipelining
  'tls12-dsb.pcapng', // pcapng with a decryption secrets block
  'zeek-quic-chromium-api-cirrus.pcap', // QUIC (UDP flows)
  'zeek-localhost-v6-refused-v4-fallback.pcap', // IPv6 refused, IPv4 fallback
  'arkime-h2c-prior-knowledge-loopback.pcap', // cleartext HTTP/2
];

test('corpus captures match the CLI, by drop and by file input', async (t) => {
  const files = corpus(FILES, t);
  if (!files) return;
  const b = await launch();
  try {
    for (const file of files) {
      const name = path.basename(file);
      await t.test(name, async () => {
        const report = cliReport(file);
        assert.ok(report.connections.length > 0, `${name}: the CLI finds connections`);
        // Fresh page: drop on the landing page's drop zone.
        await open(b.page);
        await loadViaDrop(b.page, file);
        await assertMatchesReport(b.page, report, name);
        // Same page: the file picker's input (the "Open…" button's input).
        await loadViaInput(b.page, file);
        const list = await assertMatchesReport(b.page, report, name);
        assert.equal(list.rows.filter((r) => r.kind === 'group').length, report.hosts.length);
        // The JSON export is the CLI's report, field for field.
        const json = await download(b.page, '[data-testid=export-json]', `${name}.connscope.json`);
        assert.equal(json.name, `${name}.connscope.json`);
        assert.deepEqual(JSON.parse(json.bytes.toString('utf8')), report);
      });
    }
  } finally {
    await b.close();
  }
});
