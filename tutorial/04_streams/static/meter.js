// What polling and one stream cost, as this browser measured them: each
// finished request to /poll or /ticker is a resource-timing entry whose
// transferSize is the bytes it took on the wire (headers and body).
const totals = { poll: { requests: 0, bytes: 0 }, stream: { requests: 0, bytes: 0 } };

function show(kind) {
  const { requests, bytes } = totals[kind];
  const cell = document.getElementById(`${kind}-cost`);
  const perMinute = kind === 'poll' ? `, ${requests * 6} a minute at this pace` : '';
  if (cell) cell.textContent = `${requests} request${requests === 1 ? '' : 's'}${perMinute}, ${bytes.toLocaleString('en')} bytes`;
}

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const path = new URL(entry.name).pathname;
    const kind = path.endsWith('/poll') ? 'poll' : path.endsWith('/ticker') ? 'stream' : null;
    if (!kind) continue;
    totals[kind].requests += 1;
    totals[kind].bytes += entry.transferSize;
    show(kind);
  }
}).observe({ type: 'resource', buffered: true });
