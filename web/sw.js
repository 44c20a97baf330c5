// Connscope's offline cache: the app shell, both wasm modules and the bundled samples are cached
// on install; afterwards every request of the page is answered from the cache first, so the page
// works without a network. `cargo xtask dist` fills in VERSION (a hash of the build) and PRECACHE
// (every file of the build, relative to this script: the site can live under any sub-path).
const VERSION = '__CONNSCOPE_VERSION__';
const PRECACHE = "__CONNSCOPE_PRECACHE__";
const CACHE = 'connscope-' + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('connscope-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(request, { ignoreSearch: true });
    if (hit) return hit;
    try {
      return await fetch(request);
    } catch (err) {
      if (request.mode === 'navigate') {
        const shell = await cache.match('./');
        if (shell) return shell;
      }
      throw err;
    }
  })());
});
