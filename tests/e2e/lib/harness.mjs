// Shared pieces of the browser tests: launching Debian's Chromium through playwright-core,
// recording every request and console error, loading captures (file input and synthetic
// drag-and-drop), reading the virtualised lists back, and the CLI oracle.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = process.env.CONNSCOPE_ROOT || path.resolve(here, '../../..');
export const BASE_URL = process.env.CONNSCOPE_BASE_URL || 'http://127.0.0.1:8080/';
export const ORIGIN = new URL(BASE_URL).origin;
export const CORPUS = process.env.CONNSCOPE_CORPUS || path.resolve(ROOT, '../shared/captures');
export const ARTIFACTS = path.join(ROOT, 'tests/e2e/artifacts');
export const LAB = path.join(ROOT, 'tests/lab/captures');
fs.mkdirSync(ARTIFACTS, { recursive: true });

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium with a fresh profile; records requests, console errors and dialogs. */
export async function launch({ viewport = { width: 1280, height: 860 }, colorScheme = 'light', serviceWorkers = 'allow', acceptDownloads = true } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'connscope-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    colorScheme,
    serviceWorkers,
    acceptDownloads,
    timeout: 60000,
  });
  const requests = [];
  const consoleErrors = [];
  const dialogs = [];
  context.on('request', (r) => requests.push(r.url()));
  const watch = (page) => {
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && consoleErrors.push('worker: ' + m.text())));
  };
  context.on('page', watch);
  const page = context.pages()[0] || (await context.newPage());
  watch(page);
  return {
    context,
    page,
    requests,
    consoleErrors,
    dialogs,
    /** Asserts the page talked to its own origin only and logged no error, then closes. */
    async close({ allowConsoleErrors = [] } = {}) {
      try {
        const foreign = requests.filter((u) => !(u.startsWith(ORIGIN + '/') || u.startsWith('blob:') || u.startsWith('data:')));
        assert.deepEqual(foreign, [], 'requests to another origin');
        assert.ok(requests.length > 0, 'no request was recorded at all');
        const errors = consoleErrors.filter((e) => !allowConsoleErrors.some((re) => re.test(e)));
        assert.deepEqual(errors, [], 'console errors');
        assert.deepEqual(dialogs, [], 'dialogs opened');
      } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** Opens the page and waits for the app to be mounted. */
export async function open(page, url = BASE_URL) {
  await page.goto(url);
  await page.waitForSelector('.topbar .brand');
}

export async function generation(page) {
  return page.evaluate(() => Number(document.querySelector('[data-testid=results]')?.dataset.generation || 0));
}

/** Waits until a new report (after `before`) is shown. */
export async function waitForResults(page, before, timeout = 120000) {
  await page.waitForFunction(
    (b) => Number(document.querySelector('[data-testid=results]')?.dataset.generation || 0) > b,
    before,
    { timeout },
  );
}

/** Loads a capture through the (hidden) file input, as the file picker does. */
export async function loadViaInput(page, file) {
  const before = await generation(page);
  await page.setInputFiles('[data-testid=file-input]', file);
  await waitForResults(page, before);
}

/**
 * Drops files (one path or several, e.g. a capture and its key log) by a synthetic drag-and-drop
 * of Files built in the page. Does not wait.
 */
export async function dropFiles(page, files, target = '[data-testid=dropzone]') {
  const list = (Array.isArray(files) ? files : [files]).map((f) => ({ b64: fs.readFileSync(f).toString('base64'), name: path.basename(f) }));
  await page.evaluate(
    ({ list, target }) => {
      const dt = new DataTransfer();
      for (const { b64, name } of list) {
        const bin = atob(b64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        dt.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
      }
      const el = document.querySelector(target) || document.querySelector('.app');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      }
    },
    { list, target },
  );
}

/** Loads a capture (and key logs, with an array) by drag-and-drop and waits for the report. */
export async function loadViaDrop(page, files, target = '[data-testid=dropzone]') {
  const before = await generation(page);
  await dropFiles(page, files, target);
  await waitForResults(page, before);
}

/** The CLI's report for a file (the oracle), with a key log if given. */
export function cliReport(file, keylog) {
  const out = cli(['analyze', file, '--json', ...(keylog ? ['--keylog', keylog] : [])]);
  return JSON.parse(out);
}

export function cli(args) {
  const exe = process.env.CONNSCOPE_CLI;
  const opts = { maxBuffer: 1 << 30, encoding: 'utf8' };
  if (exe) return execFileSync(exe, args, opts);
  return execFileSync('cargo', ['run', '-q', '--release', '-p', 'connscope-cli', '--', ...args], { ...opts, cwd: ROOT });
}

/**
 * Reads a virtualised list back by scrolling it from top to bottom: every row (group headers
 * and connections) in order, with what each shows.
 */
export async function readList(page, selector = '[data-testid=conn-list]') {
  return page.evaluate(async (sel) => {
    const el = document.querySelector(sel);
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const rows = new Map();
    const text = (r, c) => r.querySelector(c)?.textContent ?? null;
    el.scrollTop = 0;
    for (let guard = 0; guard < 100000; guard++) {
      await frame();
      for (const r of el.querySelectorAll('[id*="-row-"]')) {
        const i = Number(r.id.split('-row-')[1]);
        if (r.classList.contains('group')) {
          rows.set(i, { kind: 'group', client: r.dataset.client, host: r.dataset.host, count: Number(r.dataset.count), text: r.textContent });
        } else {
          rows.set(i, {
            kind: 'conn',
            id: Number(r.dataset.connId),
            stream: text(r, '.c-stream'),
            port: text(r, '.c-port'),
            protocol: text(r, '.c-proto'),
            headline: text(r, '.c-headline'),
            close: text(r, '.c-close'),
          });
        }
      }
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 2) break;
      el.scrollTop += Math.max(40, el.clientHeight - 60);
    }
    el.scrollTop = 0;
    return { count: Number(el.dataset.count), rows: [...rows.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]) };
  }, selector);
}

/** Checks what the page shows against the CLI's report: counts, host groups, protocols, headlines. */
export async function assertMatchesReport(page, report, fileName) {
  assert.equal(await page.textContent('[data-testid=summary-file] .s-file'), fileName);
  const num = async (id) => Number((await page.textContent(`[data-testid=${id}] .num`)).replace(/,/g, ''));
  assert.equal(await num('summary-connections'), report.connections.length, 'connection count');
  assert.equal(await num('summary-hosts'), report.hosts.length, 'host count');
  assert.equal(await num('summary-packets'), report.capture.packets, 'packet count');
  const list = await readList(page);
  assert.equal(list.count, list.rows.length, 'every row of the virtual list was seen');
  // Rebuild the groups the page shows: a header, then its connections.
  const shown = [];
  for (const r of list.rows) {
    if (r.kind === 'group') shown.push({ client: r.client, host: r.host, count: r.count, ids: [] });
    else {
      assert.ok(shown.length > 0, 'a connection row before any group header');
      shown.at(-1).ids.push(r.id);
    }
  }
  const key = (g) => `${g.client} → ${g.host}`;
  assert.deepEqual(
    shown.map(key).sort(),
    report.hosts.map(key).sort(),
    'host groups',
  );
  for (const g of report.hosts) {
    const s = shown.find((x) => key(x) === key(g));
    assert.deepEqual([...s.ids].sort((a, b) => a - b), [...g.connections].sort((a, b) => a - b), `connections of ${key(g)}`);
    assert.equal(s.count, g.connections.length);
  }
  const conns = list.rows.filter((r) => r.kind === 'conn');
  assert.equal(conns.length, report.connections.length, 'connection rows');
  for (const r of conns) {
    const c = report.connections[r.id];
    assert.ok(c, `row for unknown connection ${r.id}`);
    assert.equal(r.stream, `#${c.stream}`, `stream of connection ${r.id}`);
    assert.equal(r.port, `:${c.client.port}`, `client port of connection ${r.id}`);
    assert.equal(r.protocol, c.protocol, `protocol of connection ${r.id}`);
    assert.equal(r.headline, c.explanation ? c.explanation.headline : 'No explanation yet', `headline of connection ${r.id}`);
  }
  return list;
}

/** Clicks a button that triggers a download; returns the downloaded bytes (and saves a copy). */
export async function download(page, selector, saveAs) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = await dl.path();
  const bytes = fs.readFileSync(file);
  if (saveAs) fs.writeFileSync(path.join(ARTIFACTS, saveAs), bytes);
  return { bytes, name: dl.suggestedFilename() };
}

/** Corpus files, or null (and a loud message) when the corpus is absent; fails under CI=true. */
export function corpus(names, t) {
  const missing = names.filter((n) => !fs.existsSync(path.join(CORPUS, n)));
  if (missing.length) {
    const msg = `capture corpus missing at ${CORPUS}: ${missing.join(', ')}`;
    if (process.env.CI === 'true') assert.fail(msg);
    console.error(`\n*** SKIPPED: ${msg} ***\n`);
    t.skip(msg);
    return null;
  }
  return names.map((n) => path.join(CORPUS, n));
}
