// Capture-lab browser driver: runs ONE scenario in Debian's headless Chromium.
// Usage: node driver.mjs SCENARIO WORKDIR SPKI_BASE64   (run-scenario.sh calls it inside `unshare -n`)
// Writes WORKDIR/netlog.json (Chromium NetLog, capture mode Everything) and WORKDIR/keys
// (SSLKEYLOGFILE); prints one line per step ("+1234ms step") to stdout.
// Every wait is fixed so that runs are as alike as a real browser allows.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const [scenario, work, spki] = process.argv.slice(2);
if (!scenario || !work || !spki) {
  console.error('usage: node driver.mjs SCENARIO WORKDIR SPKI_BASE64');
  process.exit(2);
}

const t0 = Date.now();
const log = (msg) => console.log(`+${String(Date.now() - t0).padStart(6)}ms ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function goto(page, url) {
  log(`goto ${url}`);
  try {
    await page.goto(url, { waitUntil: 'load', timeout: 15000 });
    log('load event');
  } catch (e) {
    log(`goto failed: ${String(e.message).split('\n')[0]}`);
  }
}

async function waitTitle(page, title, timeout = 15000) {
  await page.waitForFunction((t) => document.title === t, title, { timeout });
  log(`document.title = ${title}`);
}

const A = 'https://a.test';

// Each scenario: optional context options, and the steps.
const scenarios = {
  'cert-warning-clickthrough': {
    async run(page) {
      await goto(page, 'https://selfsigned.test/cert.html'); // fails: interstitial shown
      log('interstitial: ' + (await page.title().catch(() => '?')));
      await sleep(2000); // a human reads the warning
      log('click #details-button');
      await page.click('#details-button', { timeout: 5000 });
      await sleep(500);
      log('click #proceed-link');
      await Promise.all([
        page.waitForEvent('load', { timeout: 15000 }),
        page.click('#proceed-link', { timeout: 5000 }),
      ]);
      log(`loaded after proceed: ${page.url()} title=${await page.title()}`);
      await sleep(1000);
    },
  },
  'h1-keepalive-30-images': {
    async run(page) {
      await goto(page, `${A}/images30.html`);
      await sleep(1500);
    },
  },
  'h1-connection-close-30-images': {
    async run(page) {
      await goto(page, `${A}/images30.html`);
      await sleep(1500);
    },
  },
  'h2-30-images': {
    async run(page) {
      await goto(page, `${A}/images30.html`);
      await sleep(1500);
    },
  },
  'preconnect-other-host': {
    async run(page) {
      await goto(page, `${A}/preconnect.html`);
      await waitTitle(page, 'done'); // the page inserts the img.a.test image 2 s after it runs
      await sleep(1500);
    },
  },
  'preconnect-h2-coalesced': {
    async run(page) {
      await goto(page, `${A}/preconnect.html`);
      await waitTitle(page, 'done'); // the page inserts the img.a.test image 2 s after it runs
      await sleep(1500);
    },
  },
  'preconnect-cross-site': {
    async run(page) {
      await goto(page, `${A}/preconnect-cross.html`);
      await waitTitle(page, 'done'); // the page inserts the b.test image 2 s after it runs
      await sleep(1500);
    },
  },
  'idle-timeout-refetch': {
    async run(page) {
      await goto(page, `${A}/idle.html`);
      await waitTitle(page, 'done'); // the page fetches /data.txt 4 s after it runs
      await sleep(1000);
    },
  },
  'http-basic-401': {
    context: { httpCredentials: { username: 'lab', password: 'lab-password' } },
    async run(page) {
      await goto(page, `${A}/auth/index.html`);
      await sleep(1500);
    },
  },
  'http-basic-401-close': {
    context: { httpCredentials: { username: 'lab', password: 'lab-password' } },
    async run(page) {
      await goto(page, `${A}/auth-later.html`);
      await waitTitle(page, 'done'); // the page fetches /auth/data.txt 4 s after it runs
      await sleep(1000);
    },
  },
  'http-basic-401-close-navigation': {
    context: { httpCredentials: { username: 'lab', password: 'lab-password' } },
    async run(page) {
      await goto(page, `${A}/auth/index.html`);
      await sleep(1500);
    },
  },
  'tls-resumption-reload': {
    async run(page) {
      await goto(page, `${A}/reload.html`);
      await sleep(4000); // nginx keepalive_timeout 2s closes the idle connection
      log('reload');
      await page.reload({ waitUntil: 'load', timeout: 15000 });
      log('load event (reload)');
      await sleep(1500);
    },
  },
  'quic-alt-svc-race': {
    quic: true,
    async run(page) {
      await goto(page, `${A}/quic.html`); // HTTP/2 over TCP; the responses carry Alt-Svc: h3
      await sleep(4000); // nginx keepalive_timeout 2s closes the idle connection
      log('reload');
      await page.reload({ waitUntil: 'load', timeout: 15000 }); // QUIC and TCP race
      log('load event (reload)');
      await sleep(4000); // both idle connections close (nginx and aioquic: 2 s)
      // QUIC has worked on this network now: Chromium delays the TCP job (1.5 x SRTT).
      await goto(page, `${A}/quic-images.html`);
      await sleep(1500);
    },
  },
  'quic-broken-fallback': {
    quic: true,
    trustQuic: false, // the QUIC handshake fails on the certificate: HTTP/3 is marked broken
    async run(page) {
      await goto(page, `${A}/quic.html`); // HTTP/2 over TCP; the responses carry Alt-Svc: h3
      await sleep(4000);
      log('reload');
      await page.reload({ waitUntil: 'load', timeout: 15000 }); // QUIC (rejected) and TCP race
      log('load event (reload)');
      await sleep(4000);
      await goto(page, `${A}/quic-images.html`); // Alt-Svc is broken now: TCP only
      await sleep(1500);
    },
  },
  'plain-http-80': {
    async run(page) {
      await goto(page, 'http://a.test/plain.html');
      await sleep(1500);
    },
  },
};

const sc = scenarios[scenario];
if (!sc) {
  console.error(`driver: unknown scenario ${scenario}`);
  process.exit(2);
}

const profile = path.join(work, 'profile');
const home = path.join(work, 'home');
mkdirSync(home, { recursive: true });
const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  // QUIC only where the scenario is about it (HTTP/3 from Alt-Svc, raced against TCP).
  sc.quic ? '--enable-quic' : '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // *.test is the lab; every other name fails at once, without a DNS query.
  '--host-resolver-rules=MAP *.test 127.0.0.1, MAP * ~NOTFOUND',
  // Trust the lab leaf (a.test, b.test, c.test) only; selfsigned.test is NOT in this list.
  `--ignore-certificate-errors-spki-list=${spki}`,
  `--log-net-log=${path.join(work, 'netlog.json')}`,
  '--net-log-capture-mode=Everything',
];
// QUIC scenarios: Chromium's QUIC certificate check (ProofVerifierChromium) refuses a chain that
// does not end in a publicly known root (the lab CA), whatever the SPKI exception above says,
// except for hosts named in --origin-to-force-quic-on. Naming a.test on a port nothing uses
// (444) allows the lab root for a.test without forcing QUIC on a.test:443, so Alt-Svc still
// decides and QUIC still races TCP there.
if (sc.quic && sc.trustQuic !== false) args.push('--origin-to-force-quic-on=a.test:444');
log(`launch chromium (${scenario})`);
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args,
  ignoreHTTPSErrors: false, // or the certificate interstitial never shows
  env: { ...process.env, HOME: home, SSLKEYLOGFILE: path.join(work, 'keys') },
  timeout: 30000,
  ...(sc.context || {}),
});
const watchdog = setTimeout(() => {
  console.error('driver: scenario took more than 60 s');
  process.exit(1);
}, 60000);
try {
  const page = context.pages()[0] || (await context.newPage());
  await sc.run(page);
} finally {
  log('close browser');
  await context.close();
  clearTimeout(watchdog);
  log('closed');
}
