// The analysis worker's bootstrap: loads the wasm core (connscope_worker) and hands it every
// message from the page. Messages that arrive while the wasm loads are queued, not lost.
const queue = [];
let handle = null;
self.onmessage = (event) => (handle ? handle(event.data) : queue.push(event.data));

(async () => {
  try {
    const glue = await import('./connscope_worker.js');
    await glue.default({ module_or_path: new URL('./connscope_worker_bg.wasm', import.meta.url) });
    handle = glue.handle;
    self.postMessage({ type: 'ready' });
    for (const data of queue.splice(0)) handle(data);
  } catch (err) {
    self.postMessage({ type: 'error', message: 'the analysis engine could not start: ' + (err && err.message ? err.message : String(err)) });
  }
})();
