// The wire panel: a small network tab for the tutorial. It wraps window.fetch
// (Datastar calls the global fetch for every action) and logs each request,
// each response's status and type, and each SSE event as it arrives. Datastar
// gets the same response, its stream passed through unchanged (see watched).
(() => {
  const MAX_ROWS = 300; // the log is bounded, like everything else here
  const pending = []; // rows logged before the panel exists (this script runs in <head>)
  let openStreams = 0;

  const clock = () => {
    const now = new Date();
    return `${now.toTimeString().slice(0, 8)}.${String(now.getMilliseconds()).padStart(3, '0')}`;
  };

  function log(kind, what, detail = '') {
    const row = { kind, what, detail, at: clock() };
    const list = document.getElementById('wire-log');
    if (list) show(list, row);
    else pending.push(row);
  }

  function show(list, { kind, what, detail, at }) {
    const item = document.createElement('li');
    item.className = kind;
    const time = document.createElement('time');
    time.textContent = at;
    const title = document.createElement('span');
    title.className = 'what';
    title.textContent = what;
    item.append(time, title);
    if (detail) {
      const body = document.createElement('pre');
      body.textContent = detail.length > 2000 ? `${detail.slice(0, 2000)}…` : detail;
      item.append(body);
    }
    list.append(item);
    while (list.children.length > MAX_ROWS) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
  }

  function countStreams(change) {
    openStreams += change;
    const label = document.getElementById('wire-streams');
    if (label) label.textContent = `${openStreams} stream${openStreams === 1 ? '' : 's'} open`;
  }

  // One SSE event block: "event: type" and "data: …" lines; a line starting
  // with ":" is a comment (the heartbeat an idle stream sends).
  function logEvent(block) {
    let type = 'message';
    const data = [];
    const comments = [];
    for (const line of block.split(/\r\n|\r|\n/)) {
      if (line.startsWith(':')) {
        comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) log('event', `⇠ ${type}`, data.join('\n'));
    else if (comments.length) log('comment', `⇠ : ${comments.join(' ')}`);
  }

  // Datastar reads the stream through this pass-through: each chunk goes on
  // unchanged, and is parsed here on the way, so the panel shows exactly what
  // Datastar receives, when it receives it.
  function watched(body, label, signal) {
    const decoder = new TextDecoder();
    let buffer = '';
    let open = true;
    const closed = (how) => {
      if (!open) return;
      open = false;
      countStreams(-1);
      log('closed', `■ ${how}: ${label}`);
    };
    const { readable, writable } = new TransformStream({
      transform(chunk, controller) {
        controller.enqueue(chunk);
        buffer += decoder.decode(chunk, { stream: true });
        const blocks = buffer.split(/\r\n\r\n|\n\n|\r\r/);
        buffer = blocks.pop();
        blocks.filter((block) => block.trim()).forEach(logEvent);
      },
      flush() {
        closed('stream ended by the server');
      },
    });
    countStreams(+1);
    signal?.addEventListener('abort', () => closed('stream closed by the page'));
    body.pipeTo(writable).catch(() => closed('stream cut'));
    return readable;
  }

  function describe(input, init) {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    const method = (init.method || (input instanceof Request ? input.method : 'GET')).toUpperCase();
    // Datastar sends the signals of a GET in the `datastar` query parameter,
    // and those of a POST (or the action's payload) as its JSON body.
    const query = url.searchParams.get('datastar');
    url.searchParams.delete('datastar');
    // A form posted with {contentType: 'form'} is a URLSearchParams body (a FormData one with files).
    const body = typeof init.body === 'string' || init.body instanceof URLSearchParams ? String(init.body)
      : init.body instanceof FormData ? '(form data)' : '';
    const sent = query !== null ? `signals in the URL: ${query}` : body && `body: ${body}`;
    return { label: `${method} ${url.pathname}${url.search}`, sent };
  }

  const originalFetch = window.fetch.bind(window);
  window.fetch = async (input, init = {}) => {
    const { label, sent } = describe(input, init);
    log('request', `→ ${label}`, sent);
    let response;
    try {
      response = await originalFetch(input, init);
    } catch (error) {
      log('failed', `✕ ${label}`, init.signal?.aborted ? 'cancelled by the page' : String(error));
      throw error;
    }
    const type = response.status === 204 ? '' : (response.headers.get('Content-Type') || '').split(';')[0];
    const kind = response.ok ? 'response' : 'refused';
    log(kind, `← ${response.status} ${label}`, type || '(no body)');
    if (type === 'text/event-stream' && response.body) {
      const { status, statusText, headers } = response;
      return new Response(watched(response.body, label, init.signal), { status, statusText, headers });
    }
    if (type) {
      // A refusal's sentence (text/plain), or HTML / JSON that Datastar patches in. Read
      // before Datastar gets the response: after an error status it aborts the request,
      // and a copy still being read would be cut off with it.
      const text = await response.clone().text().catch(() => '');
      if (text) log(kind, `  ${type}`, text);
    }
    return response;
  };

  document.addEventListener('DOMContentLoaded', () => {
    const list = document.getElementById('wire-log');
    if (!list) return;
    pending.splice(0).forEach((row) => show(list, row));
    countStreams(0);
    document.getElementById('wire-clear')?.addEventListener('click', () => list.replaceChildren());
  });
})();
