// <reflex-buzzer> — the buzzer of the reflex party game.
//
// The server renders <reflex-buzzer id="buzzer" phase="…" round-id="…" result="…">
// and Datastar morphs those attributes in place. Everything the client learns
// by itself (pressed this round, measured ms, early) is Lit internal state,
// never reflected to attributes: a morph rewrites the attributes to what the
// server sent, so anything kept there would be wiped on the next patch.
//
// Each phase differs in word, shape and colour (never colour alone): "Wait…"
// on a red rounded square, "NO!" on an orange octagon (a decoy: do not press),
// "GO!" on a green circle. GO switches in the very frame it is painted (no
// transition into it; leaving it fades), the screen flashes once, and, with
// sound on, a tone plays. The big screen's <reflex-cue> is bundled with it.
import { LitElement, html, css } from 'lit';
import { flashStyles } from './flash.js';
import { play, soundToggle, vibrate } from './sound.js';
import './reflex-cue.js';

const PHASES = new Set(['idle', 'ready', 'decoy', 'go', 'done']);
const PRESSABLE = new Set(['ready', 'decoy', 'go']);
const BUTTON_TEXT = { idle: 'Waiting', ready: 'Wait…', decoy: 'NO!', go: 'GO!' };
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
    _flash: { state: true },
  };

  static styles = [flashStyles, css`
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
    .buzz {
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
      /* Leaving a phase fades; GO itself comes in at once (below). */
      transition: background-color 150ms ease-out, border-radius 150ms ease-out;
    }
    .buzz:focus-visible {
      outline: 0.25rem solid var(--buzzer-focus, #2563eb);
      outline-offset: 0.25rem;
    }
    /* "Get ready" breathes, at a pace that says nothing about when GO comes. */
    .buzz.ready { background: var(--buzzer-ready, #d62839); border-radius: 22%; animation: breathe 1.6s ease-in-out infinite alternate; }
    @keyframes breathe {
      from { transform: scale(1); }
      to { transform: scale(1.04); }
    }
    .buzz.decoy {
      background: var(--buzzer-decoy, #ff7a00);
      border-radius: 0;
      clip-path: polygon(30% 0, 70% 0, 100% 30%, 100% 70%, 70% 100%, 30% 100%, 0 70%, 0 30%);
      transition: none;
    }
    .buzz.go { background: var(--buzzer-go, #12b76a); transition: none; }
    .buzz.done { background: var(--buzzer-done, #4b5563); }
    @media (prefers-contrast: more) {
      .buzz { border-color: #000; }
      .buzz.ready { background: #000; color: #fff; border-color: #fff; }
      .buzz.decoy { background: #ffdd00; color: #000; }
      .buzz.go { background: #fff; color: #000; border-color: #000; }
      .buzz.done, .buzz.idle { background: #333; color: #fff; }
    }
    /* Disabled look, but still focusable: aria-disabled, not disabled. */
    .buzz[aria-disabled='true'] {
      cursor: default;
      opacity: 0.75;
    }
    .buzz.pressed { box-shadow: inset 0 0 0 0.5rem rgb(0 0 0 / 0.25); }
    .status {
      min-block-size: 1.5em;
      font-size: var(--buzzer-status-size, 1.25rem);
      font-weight: 600;
      text-align: center;
    }
    .sound {
      font: inherit;
      font-size: 0.95rem;
      padding: 0.35em 0.9em;
      border-radius: 999px;
      border: 2px solid currentColor;
      background: transparent;
      color: inherit;
      cursor: pointer;
    }
    @media (prefers-reduced-motion: reduce) {
      .buzz { transition: none; animation: none; }
    }
  `];

  constructor() {
    super();
    this.phase = 'idle';
    this.roundId = '';
    this.result = '';
    this._pressed = false;
    this._early = false;
    this._ms = null;
    this._flash = '';
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
    if (PRESSABLE.has(this._phase) && this.result) {
      // The server already has a press of this player for this round (another
      // tab of theirs pressed): this tab shows it pressed too.
      this._pressed = true;
    }
    if (changed.has('result') && this.result && this._phase === 'done' && changed.get('result') !== undefined) {
      vibrate(this.result === 'false start' ? [120, 60, 120] : 40); // the player's result is in
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
    if (newPhase && this._phase === 'decoy') this._flash = 'decoy';
    if (newPhase && this._phase === 'go') {
      this._flash = 'go';
      play('go');
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
    const inactive = !PRESSABLE.has(phase) || this._pressed;
    const label = phase === 'done' ? this._statusText(phase) || 'Done' : BUTTON_TEXT[phase];
    const flash = this._flash
      ? html`<div class="flash ${this._flash}" @animationend=${() => { this._flash = ''; }}></div>`
      : '';
    return html`${flash}<div class="wrap">
      <button
        type="button"
        part="button"
        class="buzz ${phase}${this._pressed ? ' pressed' : ''}"
        aria-label="Buzzer"
        aria-describedby="status"
        aria-disabled="${inactive ? 'true' : 'false'}"
        @pointerdown=${this._onPointerdown}
        @keydown=${this._onButtonKeydown}
      >${label}</button>
      <div id="status" class="status" part="status" role="status" aria-live="polite">${this._statusText(phase)}</div>
      ${soundToggle(this)}
    </div>`;
  }

  _statusText(phase) {
    const local = this._early ? 'too early' : this._ms != null ? `${this._ms} ms` : '';
    if (phase === 'done') return this.result || local;
    if (local) return local;
    if (this._pressed) return 'pressed';
    if (phase === 'ready') return 'Wait for GO…';
    if (phase === 'decoy') return "NO! Don't press";
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
    if (!PRESSABLE.has(phase)) return; // leave the page's keys alone
    ev.preventDefault(); // no page scroll on Space while playing
    if (!ev.repeat) this._press(ev.timeStamp);
  }

  // region press (quoted by docs/tutorial/06-buzzer.md)
  _press(at) {
    const phase = this._phase;
    if (this._pressed || !PRESSABLE.has(phase)) return;
    const goAt = this._goPaintedAt;
    // Before GO has been painted the player cannot have seen it, and a decoy
    // is not GO: early.
    const early = phase !== 'go' || goAt == null || at < goAt;
    const ms = early ? null : Math.round(at - goAt);
    this._pressed = true;
    this._early = early;
    this._ms = ms;
    if (early) {
      play('early');
      vibrate([120, 60, 120]);
    }
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
