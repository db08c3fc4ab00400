// The source panel: one view at a time, picked from its menu: a region (a
// range of lines of its file, shown alone), a whole file, the changes since
// the previous chapter, a solution. A lesson section names the region it
// discusses in `data-code`, an exercise its solution in `data-solution`; each
// gets a button that opens the panel there. "Whole file" shows the region's
// file around it, the region's lines marked.
(() => {
  const select = () => document.getElementById('source-view');
  const option = (key) => [...select().options].find((o) => o.value === key);

  function lineNumber(span) {
    return Number(span.id.slice(span.id.lastIndexOf('-') + 1));
  }

  // Show the view `key`; a region shows its lines alone, or (`whole`) its whole file with them marked.
  function show(key, { whole = false, scroll = true } = {}) {
    const chosen = option(key);
    if (!chosen) return;
    const file = chosen.dataset.file || key;
    const [first, last] = (chosen.dataset.lines || '0-0').split('-').map(Number);
    let shown = null;
    for (const view of document.querySelectorAll('#source .source-view')) {
      view.hidden = view.dataset.view !== file;
      if (!view.hidden) shown = view;
    }
    if (!shown) return;
    select().value = whole ? file : key;
    const region = Boolean(chosen.dataset.file) && !whole;
    shown.classList.toggle('region-only', region);
    document.getElementById('source-whole').hidden = !region;
    const marked = [];
    for (const span of shown.querySelectorAll('pre > span[id], code > span[id]')) {
      const inside = first > 0 && lineNumber(span) >= first && lineNumber(span) <= last;
      span.classList.toggle('in-region', inside);
      span.classList.toggle('focus', inside && whole);
      if (inside) marked.push(span);
    }
    const panel = document.getElementById('source');
    panel.open = true;
    panel.dataset.region = region ? key : '';
    // Scroll the panels' column only: the lesson and its demo stay where they are.
    const column = panel.closest('.tut-panels');
    const target = whole && marked[0] ? marked[0] : panel;
    if (scroll && column) column.scrollTop += target.getBoundingClientRect().top - column.getBoundingClientRect().top - 8;
  }

  function addButton(section, label, onClick) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'small secondary code-link';
    button.textContent = label;
    button.addEventListener('click', onClick);
    section.append(button);
  }

  document.addEventListener('DOMContentLoaded', () => {
    if (!select()) return;
    show(select().value, { scroll: false });
    select().addEventListener('change', () => show(select().value));
    document.getElementById('source-whole').addEventListener('click', () => {
      const region = document.getElementById('source').dataset.region;
      if (region) show(region, { whole: true });
    });
    for (const section of document.querySelectorAll('#lesson [data-code]')) {
      const chosen = [...select().options].find((o) => o.dataset.region === section.dataset.code);
      if (chosen) addButton(section, 'Show the code', () => show(chosen.value));
    }
    for (const section of document.querySelectorAll('#lesson [data-solution]')) {
      addButton(section, 'Compare with the solution', () => show(`solution/${section.dataset.solution}`));
    }
  });
})();
