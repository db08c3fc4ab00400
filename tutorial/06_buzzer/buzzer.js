// <tut-buzzer>: chapter 6's web component, written with Lit.
//
// Props down: the server renders `phase`, `round-id` and `result`, and a morph
// updates them in place. Events up: a press dispatches `buzz` with
// {roundId, ms, early}, bubbling and composed, so a listener on any ancestor
// hears it. The reaction is measured from the frame that painted GO to the
// press. What the component learns by itself (pressed) is internal state,
// never an attribute: the next morph would wipe it.
import { LitElement, html, css } from 'lit';

const LABELS = { idle: 'Waiting', ready: 'Wait…', go: 'GO!' };
const PRESS_KEYS = new Set([' ', 'Enter']);

export class TutBuzzer extends LitElement {
  static properties = {
    phase: { type: String },
    roundId: { type: String, attribute: 'round-id' },
    result: { type: String },
    pressed: { state: true }, // one press per round
  };

  static styles = css`
    button {
      inline-size: min(60vw, 11rem);
      aspect-ratio: 1;
      border-radius: 50%;
      border: 0.25rem solid rgb(0 0 0 / 0.2);
      font: inherit;
      font-size: 1.6rem;
      font-weight: 800;
      color: #fff;
      background: #6b7280;
      cursor: pointer;
      touch-action: manipulation;
      user-select: none;
    }
    .ready { background: #b91c1c; }
    .go { background: #15803d; }
    .done { background: #4b5563; font-size: 1.1rem; }
    [aria-disabled='true'] { cursor: default; opacity: 0.8; }
  `;

  constructor() {
    super();
    this.phase = 'idle';
    this.roundId = '';
    this.result = '';
    this.pressed = false;
    this.goPaintedAt = null; // performance.now() time of the frame that painted GO
  }

  willUpdate(changed) {
    if (changed.has('roundId')) this.pressed = false;
    if (changed.has('phase') || changed.has('roundId')) this.goPaintedAt = null;
  }

  updated(changed) {
    if ((changed.has('phase') || changed.has('roundId')) && this.phase === 'go') {
      // This callback runs in the frame that paints the GO just rendered; its
      // timestamp is on the same clock as an event's timeStamp.
      requestAnimationFrame((paintedAt) => { this.goPaintedAt = paintedAt; });
    }
  }

  render() {
    const live = (this.phase === 'ready' || this.phase === 'go') && !this.pressed;
    const label = this.phase === 'done' ? this.result || 'Done' : LABELS[this.phase] || 'Waiting';
    return html`<button type="button" class=${this.phase} aria-disabled=${live ? 'false' : 'true'}
      @pointerdown=${this.press} @keydown=${(e) => PRESS_KEYS.has(e.key) && !e.repeat && this.press(e)}>${label}</button>`;
  }

  // region press
  press(event) {
    if (this.pressed || (this.phase !== 'ready' && this.phase !== 'go')) return;
    event.preventDefault();
    // Before GO has been painted the player cannot have seen it: early.
    const early = this.phase === 'ready' || this.goPaintedAt === null;
    const ms = early ? null : Math.round(event.timeStamp - this.goPaintedAt);
    this.pressed = true;
    this.dispatchEvent(new CustomEvent('buzz', {
      bubbles: true, // up through the ancestors...
      composed: true, // ...and out of the shadow root, to the page's data-on:buzz
      detail: { roundId: this.roundId, ms, early },
    }));
  }
  // endregion
}

if (!customElements.get('tut-buzzer')) customElements.define('tut-buzzer', TutBuzzer);
