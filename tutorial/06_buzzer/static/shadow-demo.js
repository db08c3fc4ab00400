// <tut-shadow-demo>: two buttons inside a shadow root. Each dispatches a
// bubbling `ping` from its button; only the composed one crosses the shadow
// root and reaches listeners in the page (chapter 6's pitfall, live).
class ShadowDemo extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: 'open' });
    for (const composed of [false, true]) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `ping (bubbles, composed: ${composed})`;
      button.addEventListener('click', () => {
        button.dispatchEvent(new CustomEvent('ping', { bubbles: true, composed }));
      });
      root.append(button, ' ');
    }
  }
}

if (!customElements.get('tut-shadow-demo')) customElements.define('tut-shadow-demo', ShadowDemo);
