// Sound and vibration for the buzzer and the big screen: off by default, on
// with a visible toggle (a browser plays sound only after a gesture, and the
// toggle is one). Tones are made here with Web Audio: no audio files, no
// service. The choice is kept in this browser (localStorage).
import { html } from 'lit';

const KEY = 'reflex-sound';
const TONES = {
  go: { freq: 880, ms: 140, type: 'square' },
  early: { freq: 160, ms: 260, type: 'sawtooth' },
  decoy: { freq: 330, ms: 120, type: 'triangle' },
};
let audio = null;

export function soundOn() {
  try {
    return localStorage.getItem(KEY) === 'on';
  } catch {
    return false;
  }
}

function wake() {
  audio = audio || new AudioContext();
  if (audio.state === 'suspended') audio.resume();
}

export function setSound(on) {
  try {
    localStorage.setItem(KEY, on ? 'on' : 'off');
  } catch {
    /* private mode: it lasts as long as the page */
  }
  if (on) wake(); // this click is the gesture that lets the page play sound
}

export function play(kind) {
  if (!soundOn()) return;
  wake();
  const { freq, ms, type } = TONES[kind];
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.type = type;
  osc.frequency.value = freq;
  const now = audio.currentTime;
  gain.gain.setValueAtTime(0.2, now);
  gain.gain.exponentialRampToValueAtTime(0.001, now + ms / 1000);
  osc.connect(gain).connect(audio.destination);
  osc.start(now);
  osc.stop(now + ms / 1000);
}

export function vibrate(pattern) {
  if (soundOn() && navigator.vibrate) navigator.vibrate(pattern);
}

// The toggle both elements show; `host` re-renders when it flips.
export function soundToggle(host) {
  const on = soundOn();
  const flip = () => {
    setSound(!on);
    host.requestUpdate();
  };
  return html`<button type="button" class="sound" part="sound" aria-pressed="${on ? 'true' : 'false'}"
    @click=${flip}>${on ? 'Sound: on' : 'Sound: off'}</button>`;
}
