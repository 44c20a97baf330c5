// The bad-input matrix in the page: every damaged or wrong file is loaded one after the other
// in the same page; each shows what the CLI reports for it (the read error with its offset and
// frame, the warnings, and the connections read before the damage), and a good file loads
// afterwards. The same damage as crates/core/tests/bad_input_matrix.rs, made here from the lab
// capture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, open, loadViaInput, cliReport, assertMatchesReport, ARTIFACTS, LAB } from './lib/harness.mjs';

/** Record offsets and lengths of a little-endian µs pcap. */
function records(pcap) {
  const out = [];
  let off = 24;
  while (off + 16 <= pcap.length) {
    const caplen = pcap.readUInt32LE(off + 8);
    out.push({ off, caplen });
    off += 16 + caplen;
  }
  return out;
}

function matrix() {
  const cap = fs.readFileSync(path.join(LAB, 'plain-http-80.pcap'));
  const recs = records(cap);
  const files = {
    'empty.pcap': Buffer.alloc(0),
    'one-byte.pcap': Buffer.from([0xd4]),
    'image.png': Buffer.from('89504e470d0a1a0a0000000d49484452000000100000001008060000', 'hex'),
    'page.html': Buffer.from('<!DOCTYPE html><html><body><script>alert(1)</script></body></html>'),
    'notes.txt': Buffer.from('just some notes about a capture\n'.repeat(10)),
    'cut-at-997.pcap': cap.subarray(0, 997),
    'cut-at-5982.pcap': cap.subarray(0, 5982),
  };
  const huge = Buffer.from(cap);
  huge.writeUInt32LE(0xfffffff0, recs[5].off + 8);
  files['caplen-4gb.pcap'] = huge;
  const link = Buffer.from(cap);
  link.writeUInt32LE(147, 20);
  files['unknown-link-type.pcap'] = link;
  const back = Buffer.from(cap);
  back.writeUInt32LE(back.readUInt32LE(recs[3].off) - 3600, recs[3].off);
  files['time-backwards.pcap'] = back;
  files['duplicated.pcap'] = Buffer.concat([cap.subarray(0, 24), ...recs.flatMap(({ off, caplen }) => [cap.subarray(off, off + 16 + caplen), cap.subarray(off, off + 16 + caplen)])]);
  files['snaplen-80.pcap'] = Buffer.concat([
    cap.subarray(0, 24),
    ...recs.map(({ off, caplen }) => {
      const keep = Math.min(caplen, 80);
      const h = Buffer.from(cap.subarray(off, off + 16));
      h.writeUInt32LE(keep, 8);
      return Buffer.concat([h, cap.subarray(off + 16, off + 16 + keep)]);
    }),
  ]);
  const dir = path.join(ARTIFACTS, 'bad-input');
  fs.mkdirSync(dir, { recursive: true });
  return Object.entries(files).map(([name, bytes]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  });
}

test('every file of the bad-input matrix shows what the CLI reports, and the page keeps working', async () => {
  const b = await launch();
  const { page } = b;
  const good = path.join(LAB, 'plain-http-80.pcap');
  try {
    await open(page);
    for (const file of matrix()) {
      const name = path.basename(file);
      let report;
      try {
        report = cliReport(file);
      } catch (e) {
        // Not a capture at all: the CLI prints no report, only why (exit status 2).
        assert.equal(e.status, 2, `${name}: ${e.message}`);
        const why = String(e.stderr).trim().replace(`connscope: ${file}: `, '');
        await loadViaInput(page, file);
        const shown = await page.textContent('[data-testid=read-error]');
        assert.ok(shown.startsWith('Not a capture: ') && shown.includes(why), `${name}: the page shows "${why}", not "${shown}"`);
        assert.equal(await page.textContent('[data-testid=summary-connections] .num'), '0');
        assert.equal(await page.locator('[data-testid=error]').count(), 0, `${name}: no failure banner`);
        continue;
      }
      await loadViaInput(page, file);
      await assertMatchesReport(page, report, name);
      if (report.error) {
        const shown = await page.textContent('[data-testid=read-error]');
        assert.ok(shown.includes(report.error.message), `${name}: the page shows "${report.error.message}", not "${shown}"`);
        assert.ok(shown.includes(`code ${report.error.code}`), `${name}: ${shown}`);
      } else {
        assert.equal(await page.locator('[data-testid=read-error]').count(), 0, `${name}: no read error`);
      }
      const warnings = report.warnings.reduce((n, w) => n + w.count, 0);
      assert.equal(Number((await page.textContent('[data-testid=summary-warnings] .num')).replace(/,/g, '')), warnings, `${name}: warnings`);
      assert.equal(await page.locator('[data-testid=error]').count(), 0, `${name}: no failure banner`);
    }
    // After all of it, a good capture loads as usual.
    await loadViaInput(page, good);
    await assertMatchesReport(page, cliReport(good), 'plain-http-80.pcap');
    assert.equal(await page.locator('[data-testid=read-error]').count(), 0);
  } finally {
    await b.close();
  }
});
