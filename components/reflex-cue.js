// <reflex-cue> — the big screen's signal: the whole screen flashes at GO and,
// if its sound is on, plays the GO tone for the room. It shows no buzzer.
//   <reflex-cue phase="ready|decoy|go|…" round-id="…">
import { LitElement, html, css } from 'lit';
import { play, soundToggle } from './sound.js';
import { flashStyles } from './flash.js';

export class ReflexCue extends LitElement {
  static properties = {
    phase: { type: String },
    roundId: { type: String, attribute: 'round-id' },
    _flash: { state: true },
  };

  static styles = [flashStyles, css`
    :host { display: block; }
    .sound { font: inherit; font-size: 1.1rem; padding: 0.4em 0.9em; border-radius: 999px;
             border: 2px solid currentColor; background: transparent; color: inherit; cursor: pointer; }
  `];

  constructor() {
    super();
    this.phase = 'idle';
    this.roundId = '';
    this._flash = '';
    this._cued = '';
  }

  updated(changed) {
    const key = `${this.roundId}:${this.phase}`;
    if ((changed.has('phase') || changed.has('roundId')) && this._cued !== key) {
      this._cued = key;
      if (this.phase === 'go') {
        play('go');
        this._flash = 'go';
      } else if (this.phase === 'decoy') {
        play('decoy');
        this._flash = 'decoy';
      }
    }
  }

  render() {
    return html`${this._flash ? html`<div class="flash ${this._flash}" @animationend=${() => { this._flash = ''; }}></div>` : ''}
      ${soundToggle(this)}`;
  }
}

if (!customElements.get('reflex-cue')) {
  customElements.define('reflex-cue', ReflexCue);
}
