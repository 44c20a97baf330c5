// One way of reading a file in a worker, timed; the page (main.js) picks the method.
onmessage = async (e) => {
  const { file, method, chunk } = e.data;
  const t0 = performance.now();
  let n = 0, sum = 0;
  if (method === 'sync') {
    const r = new FileReaderSync();
    for (let off = 0; off < file.size; off += chunk) {
      const b = new Uint8Array(r.readAsArrayBuffer(file.slice(off, off + chunk)));
      n += b.length; sum += b[0];
    }
  } else if (method === 'async') {
    for (let off = 0; off < file.size; off += chunk) {
      const b = new Uint8Array(await file.slice(off, off + chunk).arrayBuffer());
      n += b.length; sum += b[0];
    }
  } else if (method === 'stream') {
    const rd = file.stream().getReader();
    for (;;) { const { done, value } = await rd.read(); if (done) break; n += value.length; sum += value[0]; }
  }
  const ms = performance.now() - t0;
  postMessage({ method, chunk, n, ms, mbps: n / 1e6 / (ms / 1000) });
};
