// <reflex-buzzer> — the one Lit web component of the reflex party game.
//
// The server renders <reflex-buzzer id="buzzer" phase="…" round-id="…" result="…">
// and Datastar morphs those attributes in place. Everything the client learns
// by itself (pressed this round, measured ms, early) is Lit internal state,
// never reflected to attributes: a morph rewrites the attributes to what the
// server sent, so anything kept there would be wiped on the next patch.
import { LitElement, html, css } from 'lit';

const PHASES = new Set(['idle', 'ready', 'go', 'done']);
const BUTTON_TEXT = { idle: 'Waiting', ready: 'Wait…', go: 'GO!' };
const PRESS_KEYS = new Set([' ', 'Spacebar', 'Enter']);

// Typing a space into a form field must never buzz.
function isEditable(el) {
  return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName || ''));
}

export class ReflexBuzzer extends LitElement {
  static properties = {
    phase: { type: String },
    roundId: { type: String, attribute: 'round-id' },
    result: { type: String },
    _pressed: { state: true }, // one press per round
    _early: { state: true },
    _ms: { state: true },
  };

  static styles = css`
    :host {
      display: block;
      --_size: var(--buzzer-size, min(80vw, 16rem));
      -webkit-tap-highlight-color: transparent;
    }
    .wrap {
      display: flex;
      flex-direction: column;
      align-items: center;
      gap: 0.75em;
    }
    button {
      /* --buzzer-size lets the page size it; never wider than the container. */
      inline-size: var(--_size);
      max-inline-size: 100%;
      aspect-ratio: 1;
      border-radius: 50%;
      border: 0.25rem solid rgb(0 0 0 / 0.2);
      padding: 0.5em;
      font: inherit;
      font-weight: 800;
      font-size: var(--buzzer-font-size, calc(var(--_size) * 0.15));
      line-height: 1.1;
      color: var(--buzzer-text, #fff);
      background: var(--buzzer-idle, #6b7280);
      cursor: pointer;
      /* manipulation: no double-tap-zoom wait, so phones get no tap delay. */
      touch-action: manipulation;
      user-select: none;
      -webkit-user-select: none;
      /* One gentle colour change per phase switch; nothing blinks. */
      transition: background-color 150ms ease-out;
    }
    button:focus-visible {
      outline: 0.25rem solid var(--buzzer-focus, #2563eb);
      outline-offset: 0.25rem;
    }
    button.ready { background: var(--buzzer-ready, #b91c1c); }
    button.go { background: var(--buzzer-go, #15803d); }
    button.done { background: var(--buzzer-done, #4b5563); }
    /* Disabled look, but still focusable: aria-disabled, not disabled. */
    button[aria-disabled='true'] {
      cursor: default;
      opacity: 0.75;
    }
    button.pressed { box-shadow: inset 0 0 0 0.5rem rgb(0 0 0 / 0.25); }
    .status {
      min-block-size: 1.5em;
      font-size: var(--buzzer-status-size, 1.25rem);
      font-weight: 600;
      text-align: center;
    }
    @media (prefers-reduced-motion: reduce) {
      button { transition: none; animation: none; }
    }
  `;

  constructor() {
    super();
    this.phase = 'idle';
    this.roundId = '';
    this.result = '';
    this._pressed = false;
    this._early = false;
    this._ms = null;
    this._goPaintedAt = null; // performance.now() time of the frame that painted GO
    this._readyFor = null; // the round whose "get ready" was announced with a `ready` event
    this._goRaf = 0;
    this._onDocKeydown = this._onDocKeydown.bind(this);
  }

  connectedCallback() {
    super.connectedCallback();
    document.addEventListener('keydown', this._onDocKeydown);
  }

  disconnectedCallback() {
    document.removeEventListener('keydown', this._onDocKeydown);
    super.disconnectedCallback();
  }

  get _phase() {
    return PHASES.has(this.phase) ? this.phase : 'idle';
  }

  willUpdate(changed) {
    if (changed.has('roundId')) {
      this._pressed = false;
      this._early = false;
      this._ms = null;
    }
    if (changed.has('phase') || changed.has('roundId')) {
      // Any phase or round change invalidates the GO timestamp; updated() re-arms it.
      cancelAnimationFrame(this._goRaf);
      this._goRaf = 0;
      this._goPaintedAt = null;
    }
  }

  updated(changed) {
    const newPhase = changed.has('phase') || changed.has('roundId');
    if (newPhase && this._phase === 'ready' && this._readyFor !== this.roundId) {
      // "Get ready" is on screen: the page answers the server at once, which
      // measures this player's round trip (it bounds a claimed time from below).
      this._readyFor = this.roundId;
      this.dispatchEvent(new CustomEvent('ready', { bubbles: true, composed: true, detail: { roundId: this.roundId } }));
    }
    if (newPhase && this._phase === 'go') {
      // The rAF callback runs in the frame that paints the GO we just rendered;
      // its timestamp is on the performance.now() clock, like event.timeStamp.
      // Timing from here (not from when the attribute arrived) keeps render and
      // network jitter out of the player's reaction time.
      this._goRaf = requestAnimationFrame((ts) => {
        this._goRaf = 0;
        this._goPaintedAt = ts;
      });
    }
  }

  render() {
    const phase = this._phase;
    const inactive = phase === 'idle' || phase === 'done' || this._pressed;
    const label = phase === 'done' ? this._statusText(phase) || 'Done' : BUTTON_TEXT[phase];
    return html`<div class="wrap">
      <button
        type="button"
        part="button"
        class="${phase}${this._pressed ? ' pressed' : ''}"
        aria-label="Buzzer"
        aria-describedby="status"
        aria-disabled="${inactive ? 'true' : 'false'}"
        @pointerdown=${this._onPointerdown}
        @keydown=${this._onButtonKeydown}
      >${label}</button>
      <div id="status" class="status" part="status" role="status" aria-live="polite">${this._statusText(phase)}</div>
    </div>`;
  }

  _statusText(phase) {
    const local = this._early ? 'too early' : this._ms != null ? `${this._ms} ms` : '';
    if (phase === 'done') return this.result || local;
    if (local) return local;
    if (phase === 'ready') return 'Wait for GO…';
    if (phase === 'go') return 'GO!';
    return 'Waiting for the next round';
  }

  // No 'click' handler on purpose: a tap or a Space/Enter on the button also
  // produces a click, so listening to it would count one physical press twice
  // (and click fires late, on release).
  _onPointerdown(ev) {
    if (ev.button !== 0 || !ev.isPrimary) return;
    ev.preventDefault();
    this._press(ev.timeStamp);
  }

  _onButtonKeydown(ev) {
    if (!PRESS_KEYS.has(ev.key)) return;
    // Also marks the event as handled for the document listener below.
    ev.preventDefault();
    if (!ev.repeat) this._press(ev.timeStamp);
  }

  _onDocKeydown(ev) {
    if (ev.defaultPrevented || !PRESS_KEYS.has(ev.key)) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (isEditable(ev.composedPath()[0]) || isEditable(document.activeElement)) return;
    const phase = this._phase;
    if (phase !== 'ready' && phase !== 'go') return; // leave the page's keys alone
    ev.preventDefault(); // no page scroll on Space while playing
    if (!ev.repeat) this._press(ev.timeStamp);
  }

  // region press (quoted by docs/tutorial/06-buzzer.md)
  _press(at) {
    const phase = this._phase;
    if (this._pressed || (phase !== 'ready' && phase !== 'go')) return;
    const goAt = this._goPaintedAt;
    // Before GO has been painted the player cannot have seen it: early.
    const early = phase === 'ready' || goAt == null || at < goAt;
    const ms = early ? null : Math.round(at - goAt);
    this._pressed = true;
    this._early = early;
    this._ms = ms;
    this.dispatchEvent(
      new CustomEvent('buzz', {
        bubbles: true,
        composed: true,
        detail: { roundId: this.roundId, ms, early },
      }),
    );
  }
  // endregion
}

if (!customElements.get('reflex-buzzer')) {
  customElements.define('reflex-buzzer', ReflexBuzzer);
}
