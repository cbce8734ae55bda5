// "Your own garment" panel: upload or draw a picture, see it as the model gets it (28 x 28,
// Fashion-MNIST style), its reconstruction, its place in the dataset (search), its anomaly score
// with a percentile among the test garments; the dataset's most anomalous garments; and attribute
// directions between class means (own-directions.js).
//
// The picture is turned into the model's input on this thread (preprocess.js, a few ms); the worker
// encodes, decodes, searches and scores it (own-worker.js).

import { preprocess, bytesToPixels, pixelsToBytes } from './preprocess.js';
import { decodePicture, PictureError } from './picture-file.js';
import { drawGarment, garmentCanvas } from './render.js';
import { Lane, isStale } from './latest.js';
import { escapeHtml, button } from './util.js';
import { mountOwnInputs } from './own-input.js';
import { Directions } from './own-directions.js';

const IWAE_K = 100;
const HITS = 12;

export class OwnPanel {
  /** section: #panel-own; ctx: {client() (the worker client), state, messages}. */
  constructor(section, ctx) {
    this.section = section;
    this.ctx = ctx;
    this.state = ctx.state;
    this.$ = (id) => section.querySelector(`#${id}`);
    // Measurements and last results for tests (window.__lwOwn, published by main.js).
    // busy: pictures still being decoded or run (tests wait for 0 before they look).
    this.hooks = { encodes: [], scores: [], roundTrips: [], preprocess: [], last: null, lastScore: null, anomalies: null, shown: null, busy: 0 };
    // One picture at a time: choosing, dropping or drawing a picture (or scoring a dataset garment)
    // begins a request; the answers of an earlier one (its decoding, encoding, search and score)
    // are dropped when they arrive late, so the panel always ends on the newest choice.
    this.lane = new Lane('own');
    this.encoderP = null;
    this.directions = new Directions(section, ctx);
    Object.assign(this.hooks, {
      fromFile: (file) => this.fromFile(file),
      runPicture: (imageData, name) => this.runPicture(imageData, name),
      run: (pixels, options) => this.run(pixels, options),
      prepare: (file) => this.prepare(file),
    });
  }

  /** Binds the inputs and buttons, once the decoder is ready. */
  mount() {
    const note = (e) => this.ctx.messages.note(e.message);
    mountOwnInputs(this.section, {
      onFile: (file) => this.fromFile(file).catch(note),
      onDrawing: (imageData) => this.runPicture(imageData, 'Your drawing').catch(note),
    });
    this.$('own-show-anomalies').addEventListener('click', () => this.showAnomalies());
    this.$('own-score-current').addEventListener('click', () => {
      if (this.state.zSource) this.scoreGarment(this.state.zSource.id).catch(note);
    });
    this.state.on('z', () => this.updateScoreCurrent());
    this.directions.mount();
  }

  // Runs on every slider frame: touch the DOM only when the label changes.
  updateScoreCurrent() {
    const b = this.$('own-score-current');
    const { zSource } = this.state;
    const text = zSource ? `Score garment #${zSource.id}` : '';
    if (b._text === text) return;
    b._text = text;
    b.hidden = !zSource;
    if (zSource) b.textContent = text;
  }

  encoder() {
    if (!this.encoderP) {
      this.setStatus('Loading the encoder…');
      this.encoderP = this.ctx.client().call('loadEncoder').then((info) => {
        this.hooks.anomalies = info.anomalies;
        return info;
      }, (e) => {
        this.encoderP = null;
        throw e;
      });
    }
    return this.encoderP;
  }

  setStatus(html) {
    this.$('own-score').innerHTML = html;
  }

  // ------------------------------------------------------------ pictures -> model input

  async fromFile(file, ticket = this.lane.begin(), zTicket = this.state.zLane.begin()) {
    if (!file) return;
    this.hooks.busy++;
    try {
      let imageData;
      try {
        imageData = await ticket.wait(decodePicture(file));
      } catch (e) {
        if (isStale(e)) return;
        if (!(e instanceof PictureError)) throw e;
        return this.refuse(escapeHtml(e.message));
      }
      await this.runPicture(imageData, file.name, { ticket, zTicket });
    } finally {
      this.hooks.busy--;
    }
  }

  // A picture that gives no model input: say why, and keep what the panel shows (it says which).
  refuse(html) {
    const kept = this.hooks.shown ? ` The panel still shows ${escapeHtml(this.hooks.shown)}.` : '';
    this.setStatus(`<span class="own-flag high" data-testid="own-refused">${html}</span>${kept}`);
    this.section.dataset.ownRefused = String(Date.now());
  }

  async runPicture(imageData, name, { ticket = this.lane.begin(), zTicket = this.state.zLane.begin() } = {}) {
    const t0 = performance.now();
    const r = preprocess(imageData.data, imageData.width, imageData.height);
    const tPre = performance.now() - t0;
    this.hooks.preprocess.push(tPre);
    if (r.empty) {
      return this.refuse(`Nothing stands out from the background of ${escapeHtml(name)}: draw or choose a picture with a garment on a plain or transparent background.`);
    }
    await this.run(r.pixels, { name, preprocessMs: tPre, inverted: r.inverted, ticket, zTicket });
  }

  /**
   * Encodes, reconstructs, searches and scores pixels (Float32Array(784) in [0, 1]); loads μ into
   * the sliders unless z moved meanwhile. A newer request (ticket) makes every later step a no-op.
   */
  async run(pixels, { name, preprocessMs = 0, inverted = false, loadSliders = true, ticket = this.lane.begin(), zTicket = this.state.zLane.begin() } = {}) {
    this.hooks.busy++;
    try {
      await this.runSteps(pixels, { name, preprocessMs, inverted, loadSliders, ticket, zTicket });
    } catch (e) {
      if (!isStale(e)) throw e;
    } finally {
      this.hooks.busy--;
    }
  }

  async runSteps(pixels, { name, preprocessMs, inverted, loadSliders, ticket, zTicket }) {
    const { state, hooks } = this;
    ticket.check();
    drawGarment(this.$('own-input'), pixelsToBytes(pixels), state.lut);
    hooks.inputPixels = pixels;
    hooks.shown = name;
    delete this.section.dataset.ownRefused;
    try {
      await ticket.wait(this.encoder());
    } catch (e) {
      if (isStale(e)) throw e;
      this.setStatus(`The encoder is unavailable: ${escapeHtml(e.message)}`);
      return;
    }
    const t0 = performance.now();
    const res = await ticket.wait(this.ctx.client().call('ownEncode', { pixels, k: HITS, filter: {} }));
    const roundTrip = performance.now() - t0;
    hooks.encodes.push(res.ms);
    hooks.roundTrips.push(roundTrip);
    hooks.last = { name, mu: res.mu, sigma: res.sigma, hits: res.hits, quick: res.quick, workerMs: res.ms, roundTripMs: roundTrip, preprocessMs };
    drawGarment(this.$('own-recon'), res.recon, state.lut);
    if (loadSliders && zTicket.current()) state.setZ(res.mu); // unless z moved since the picture was chosen
    this.showHits(res.hits);
    this.setStatus(`${escapeHtml(name)}${inverted ? ' (inverted: light background)' : ''}: −ELBO ≈ <b>${nats(res.quick.negElbo)}</b> nats
      (one sample); computing the importance-weighted score (k = ${IWAE_K})…
      <small class="muted">encode + search + score in the worker: ${res.ms.toFixed(1)} ms</small>`);
    const s = await ticket.wait(this.ctx.client().call('ownScore', { pixels, k: IWAE_K }));
    hooks.scores.push(s.ms);
    hooks.lastScore = s;
    this.showScore(name, s, res.ms);
  }

  // The score with its percentiles and a verdict; an encoder blob without the test garments'
  // statistics (percentile NaN) gets scores without percentiles and says so, never "NaN".
  showScore(name, s, encodeMs) {
    const p = Number.isFinite(s.percentile) ? s.percentile : null;
    const q = Number.isFinite(s.oodPercentile) ? s.oodPercentile : null;
    const corrected = q === null ? '' : `<br>corrected for complexity: −log p(x) − L(x) = <b>${nats(s.ood)}</b> nats (L(x) = ${nats(s.complexity)}), percentile <b data-testid="own-ood-percentile">${q.toFixed(1)}</b>`;
    this.setStatus(`<b>${escapeHtml(name)}</b><br>
      IWAE −log p(x) ≈ <b>${nats(s.iwaeNll)}</b> nats (k = ${s.k}), percentile <b data-testid="own-percentile">${percentileText(p)}</b> among test garments<br>
      −ELBO ${nats(s.negElbo)} nats (percentile ${percentileText(s.elboPercentile)})${corrected}<br>${verdict(p, q)}
      <br><small class="muted">worker: encode + search ${encodeMs.toFixed(1)} ms, IWAE ${s.ms.toFixed(1)} ms</small>`);
    const data = this.section.dataset;
    if (p === null) delete data.ownPercentile;
    else data.ownPercentile = String(p);
    if (q === null) delete data.ownOodPercentile;
    else data.ownOodPercentile = String(q);
  }

  // ------------------------------------------------------------ dataset thumbnails

  thumb(id, caption, onClick) {
    const { state } = this;
    const li = document.createElement('li');
    const b = button('', 'own-thumb', onClick);
    b.dataset.id = String(id);
    const c = garmentCanvas('garment', '');
    c.removeAttribute('role');
    const label = state.index ? state.className(state.index.labels[id]) : '';
    b.setAttribute('aria-label', `Garment ${id}${label ? `, ${label}` : ''}${caption ? `, ${caption}` : ''}`);
    const cap = document.createElement('span');
    cap.textContent = caption || `#${id}`;
    b.append(c, cap);
    li.append(b);
    state.store.get(id).then((px) => drawGarment(c, px, state.lut)).catch(() => {}); // a new canvas per garment: never stale
    return li;
  }

  showHits(hits) {
    const ol = this.$('own-hits');
    ol.replaceChildren();
    if (!hits) {
      this.$('own-hits-info').textContent = '(the index is not loaded)';
      return;
    }
    this.$('own-hits-info').textContent = '';
    hits.ids.forEach((id) => ol.append(this.thumb(id, `#${id}`, () => this.loadGarment(id))));
  }

  loadGarment(id) {
    return this.state.loadGarment(this.ctx.client(), id).catch((e) => this.ctx.messages.note(e.message));
  }

  /** Scores dataset garment id (its grey pixels from the garment pages). */
  async scoreGarment(id) {
    const ticket = this.lane.begin();
    try {
      const px = await ticket.wait(this.state.store.get(id));
      await this.run(bytesToPixels(px), { name: `Garment #${id}`, loadSliders: false, ticket });
    } catch (e) {
      if (!isStale(e)) throw e;
    }
  }

  async showAnomalies() {
    let info;
    try {
      info = await this.encoder();
    } catch (e) {
      this.$('own-anom-info').textContent = `(unavailable: ${e.message})`;
      return;
    }
    const { ids, nll } = info.anomalies;
    const ol = this.$('own-anomalies');
    ol.replaceChildren();
    this.$('own-anom-info').textContent = ids.length
      ? `(IWAE −log p(x), of ${ids.length} shipped; click one to load and score it)`
      : '(this encoder ships no list of anomalous garments)';
    for (let i = 0; i < Math.min(24, ids.length); i++) {
      const id = ids[i];
      ol.append(this.thumb(id, `${nll[i].toFixed(0)} nats`, async () => {
        await this.loadGarment(id);
        await this.scoreGarment(id);
      }));
    }
  }

  // For tests and the console: only decode and prepare a picture file (-> {pixels, inverted,
  // empty, width, height} or {error}).
  async prepare(file) {
    try {
      const img = await decodePicture(file);
      const r = preprocess(img.data, img.width, img.height);
      return { pixels: Array.from(r.pixels), inverted: r.inverted, empty: r.empty, width: img.width, height: img.height };
    } catch (e) {
      return { error: e.message };
    }
  }
}

const nats = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'not computable');
const percentileText = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'unknown (the encoder ships no test-garment statistics for it)');

// The verdict follows the complexity-corrected percentile q when the blob has its statistics:
// plain likelihood (percentile p) rates simple pictures (a stroke, a digit) as typical or likelier
// than any garment.
function verdict(p, q) {
  if (q !== null && q > 99) return '<span class="own-flag high">not like the garments: its complexity-corrected score is above 99% of the test garments\'</span>';
  if (p === null) return '<span class="own-flag">no verdict: this encoder ships no test-garment scores to compare with</span>';
  if (p > 99) return '<span class="own-flag high">unusual: less likely than 99% of the test garments</span>';
  if (p < 1) return '<span class="own-flag low">a plain picture: likelier than 99% of the test garments (likelihood favours simple images)</span>';
  return '<span class="own-flag ok">typical for a garment</span>';
}
