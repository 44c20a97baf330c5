// Starts the page: loads the wasm UI (connscope_app) and registers the offline service worker.
// A file, not an inline script: the Content-Security-Policy allows scripts from this origin only.
import init from './connscope_app.js';

init({ module_or_path: new URL('./connscope_app_bg.wasm', import.meta.url) }).catch((err) => {
  const app = document.getElementById('app');
  if (app) {
    const p = document.createElement('p');
    p.className = 'boot boot-error';
    p.textContent = 'Connscope could not start: ' + (err && err.message ? err.message : String(err)) +
      '. It needs a current browser with WebAssembly (Chrome, Edge, Firefox or Safari).';
    app.replaceChildren(p);
  }
  console.error(err);
});

// Offline after the first visit: the service worker caches the app shell, the wasm and the samples.
if ('serviceWorker' in navigator && window.isSecureContext) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('./sw.js').catch((e) => console.warn('Connscope: no offline cache:', e));
  });
}
