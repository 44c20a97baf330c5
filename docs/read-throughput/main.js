// Reads the chosen file in a worker (w.js) and reports the time; see run.mjs.
window.run = (method, chunk) => new Promise((resolve) => {
  const w = new Worker('w.js');
  w.onmessage = (e) => { resolve(e.data); w.terminate(); };
  w.postMessage({ file: document.getElementById('f').files[0], method, chunk });
});
