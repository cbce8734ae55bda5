// Boot: starts (or adopts) the worker, which loads the wasm module and the decoder; draws the first
// garment before anything else; then hands the model's facts to the page (ready) and downloads the
// index behind it. A failed decoder disables the page's controls and offers Retry when a download
// (not the browser) failed; a failed index leaves the sliders and timelines of one's own vectors.

import { WardrobeClient } from './client.js';
import { GarmentStore } from './garments.js';
import { Lane, isStale } from './latest.js';
import { setLoad } from './loads.js';
import { perf } from './perf.js';
import { serviceWorkerControls } from './sw-client.js';
import { button } from './util.js';

// The folder of index.html (the production build keeps the page's module under assets/).
const root = new URL('./', document.baseURI);
// The worker's address: index.html says it (the production build rewrites it to the hashed name).
const workerUrl = () => new URL(document.documentElement.dataset.worker || 'worker.js', root);

export class Boot {
  /**
   * state, messages: the shared state and message sink. Callbacks:
   *   firstGarment(pixels)  the worker's first garment (drawn before the UI is built)
   *   ready(info)           the model is loaded (state.setModel done): build the UI
   *   progress(msg)         a worker download's progress event
   *   unavailable(message, retryButton | null, {atStart})  the decoder failed (atStart: it never
   *                         loaded, so no panel can work)
   *   loading()             a Retry began loading the decoder again
   *   index(index | null, error)  the index loaded (or failed with error: message)
   */
  constructor({ state, messages, firstGarment, ready, progress, unavailable, loading, index }) {
    Object.assign(this, { state, messages, cb: { firstGarment, ready, progress, unavailable, loading, index } });
    this.client = null;
    this.disabled = []; // controls disabled by a decoder error
    this.indexLane = new Lane('index'); // a second load (Retry) supersedes the first
  }

  start() {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
      this.fail('This browser does not support WebAssembly, which latent wardrobe needs to run its decoder. Try a current Chrome, Firefox, Safari or Edge.');
      return;
    }
    this.startDecoder().catch((e) => this.fail(`Unexpected error while starting: ${e.message}`));
  }

  // The worker loads the module and the decoder; then the UI is built around the first garment.
  // Runs again on Retry after a failed download (the worker keeps nothing from the failed attempt).
  async startDecoder() {
    if (!this.client || this.client.dead) {
      try {
        // The early worker (started by index.html) is adopted once; a dead one is replaced.
        this.client = new WardrobeClient(workerUrl(), (msg) => this.onWorkerEvent(msg), this.client ? null : window.__lwEarly);
      } catch (e) {
        this.fail(`This browser cannot start a module Web Worker (${e.message}).`);
        return;
      }
    }
    let info;
    perf.boot.initSent = performance.now();
    try {
      // init() adopts the early worker's request the first time, and sends a new one after that.
      const scalar = new URLSearchParams(location.search).get('scalar') === '1';
      info = await this.client.init({ forceScalar: scalar, hash: location.hash, controlled: serviceWorkerControls() });
    } catch (e) {
      // A worker that could not start will not start on retry either; a download may.
      this.fail(e.message, { retry: e.kind !== 'nowasm' && e.kind !== 'worker', atStart: true });
      return;
    }
    perf.boot.initDone = performance.now();
    perf.boot.worker = info.times;
    await this.showFirstGarment(info.first.pixels);
    this.state.setModel(info);
    this.state.store = new GarmentStore(new URL(`${info.dataDir || 'data/'}${info.manifest.garments.dir}/`, root).href, info.manifest.garments);
    // The index is not needed for the first garment: its download starts now, behind the UI build.
    this.loadIndex();
    setLoad('decoder', { done: true });
    document.getElementById('engine').textContent = `Running the ${info.simd ? 'SIMD' : 'scalar'} WebAssembly build.`;
    if (!info.simd && !info.simdSupported) this.messages.note('This browser has no WebAssembly SIMD, so the page uses the scalar build: the same results, a little slower.');
    this.cb.ready(info);
    document.body.dataset.decoder = 'ready';
  }

  // The first garment goes on screen before the rest of the UI is built.
  async showFirstGarment(pixels) {
    this.cb.firstGarment(pixels);
    await new Promise((resolve) => requestAnimationFrame(() => {
      perf.firstGarment = performance.now();
      performance.mark('lw-first-garment');
      resolve();
    }));
  }

  onWorkerEvent(msg) {
    if (msg.event === 'progress') {
      setLoad(msg.name, msg);
      this.cb.progress(msg);
    }
  }

  async loadIndex() {
    const ticket = this.indexLane.begin();
    const state = this.state;
    document.body.dataset.index = 'loading';
    state.indexError = null;
    setLoad('index', { reset: true });
    this.cb.progress({ event: 'progress', name: 'index', loaded: 0, total: state.manifest.blobs.index ? state.manifest.blobs.index.bytes : 0 });
    try {
      state.index = await ticket.wait(this.client.call('loadIndex'));
    } catch (e) {
      if (isStale(e)) return;
      state.indexError = e.message;
      document.body.dataset.index = 'error';
      setLoad('index', { failed: true });
      this.messages.error(`${e.message} The sliders and the timeline of your own vectors still work; search, the map and dataset garments do not.`,
        { label: 'Retry', run: () => this.loadIndex() });
      this.cb.index(null, e.message);
      return;
    }
    setLoad('index', { done: true });
    document.body.dataset.index = 'ready';
    perf.indexReady = performance.now();
    this.cb.index(state.index, null);
  }

  /** The decoder is unavailable. retry: offer to load it again (a failed download), not for a browser that cannot run it. */
  fail(message, { retry = false, atStart = false } = {}) {
    document.body.dataset.decoder = 'error';
    const again = () => this.retry();
    if (retry) this.messages.error(`${message} The other files are kept; retry when the connection or the site is back.`, { label: 'Retry', run: again });
    else this.messages.error(`${message} Reloading may help; if it does not, the site's files are damaged or from different builds.`);
    setLoad('decoder', { failed: true });
    // Nothing on the page works without the decoder: say so by disabling its controls...
    for (const c of document.querySelectorAll('.layout button, .layout input, .layout select')) {
      if (!c.disabled) {
        c.disabled = true;
        this.disabled.push(c);
      }
    }
    // ...except a Retry where the garment should be (added after the controls were disabled).
    this.cb.unavailable(message, retry ? button('Retry', 'btn retry', again) : null, { atStart });
  }

  retry() {
    for (const c of this.disabled) c.disabled = false;
    this.disabled = [];
    // Either Retry (beside the garment or in the message list) starts one attempt: drop the other.
    this.messages.dropActions();
    setLoad('decoder', { reset: true });
    document.body.dataset.decoder = 'loading';
    this.cb.loading();
    this.startDecoder().catch((e) => this.fail(`Unexpected error while starting: ${e.message}`));
  }
}
