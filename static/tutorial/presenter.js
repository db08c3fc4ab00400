// Presenter mode: larger type for screen recording. A class on <html>, set
// before the page paints (this script runs in <head>) and remembered in
// localStorage, so every chapter opens the way the presenter left it.
(() => {
  const KEY = 'reflex-tutorial-presenter';
  const root = document.documentElement;
  const remembered = () => {
    try {
      return localStorage.getItem(KEY) === '1';
    } catch {
      return false; // storage blocked: presenter mode lasts for this page only
    }
  };
  root.classList.toggle('presenter', remembered());

  document.addEventListener('DOMContentLoaded', () => {
    const button = document.getElementById('presenter-toggle');
    if (!button) return;
    const sync = () => button.setAttribute('aria-pressed', String(root.classList.contains('presenter')));
    sync();
    button.addEventListener('click', () => {
      const on = root.classList.toggle('presenter');
      try {
        localStorage.setItem(KEY, on ? '1' : '0');
      } catch {
        // storage blocked: nothing to remember
      }
      sync();
    });
  });
})();
