// The address bar holds the view (state.js's grammar): written shortly after every change, read
// at boot and when a link is pasted into this tab.

import { parseHash, formatHash } from './state.js';

export class UrlSync {
  /**
   * state: the shared state (settings, z, zSource); keyframes(): the timeline's keyframes for the
   * link; apply(parsed.state, startZ): puts a parsed link into the page; messages: notes sink.
   */
  constructor({ state, keyframes, apply, messages }) {
    Object.assign(this, { state, keyframes, apply, messages });
    this.timer = 0;
  }

  /** Listens for links pasted into this tab. */
  mount() {
    window.addEventListener('hashchange', () => {
      if (!this.state.z) return;
      if (location.hash === this.currentHash()) return;
      this.applyLocation();
    });
  }

  saveSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), 150);
  }

  // z is always written (zero too): a link without z opens on a garment sampled from the prior.
  currentHash() {
    const s = { ...this.state.settings };
    s.z = this.state.z;
    s.source = this.state.zSource ? this.state.zSource.id : null;
    s.keyframes = this.keyframes();
    return formatHash(s);
  }

  save() {
    if (!this.state.z) return;
    const hash = this.currentHash();
    if (hash !== location.hash && !(hash === '' && location.hash === '')) {
      history.replaceState(null, '', hash === '' ? location.pathname + location.search : hash);
    }
  }

  /** Applies the address's state (startZ when it has no z: at boot, the worker's first garment). */
  applyLocation(startZ = null) {
    const s = this.state;
    const parsed = parseHash(location.hash, { latentSize: s.latentSize, itemCount: s.manifest.garments.count, classCount: s.classes.length });
    for (const n of parsed.notes) this.messages.note(`The link was partly not understood: ${n}`);
    this.apply(parsed.state, startZ);
  }
}
