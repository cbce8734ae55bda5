// The search panel: the current z ranks all garments by log q(z|x) (or Euclidean distance to μ),
// redrawn every frame. Result cards are reused in place, so a frame costs a few text and pixel
// updates, not new DOM.

import { drawGarment, clearGarment, garmentCanvas, fillSelect, classColor } from './render.js';
import { RESULT_COUNTS } from './state.js';
import { Lane } from './latest.js';
import { DroppedDownload } from './garments.js';
import { perf } from './perf.js';
import { mb, splitOf, button } from './util.js';

// A card whose garment changed less than this long ago (its card is churning: a slider is being
// dragged) waits this long before downloading its garment's page, and downloads it only if the
// card still shows that garment: a drag across a slider would otherwise fetch a page (64
// garments, 50 kB) for almost every garment that passes through the rankings for a frame or two,
// over a hundred pages in a few seconds, all on the cores that draw the frames. A card that was
// steady (a new search, a click) downloads at once. Pages already in memory are drawn at once.
// (On a machine so slow that frames come more than this far apart no card counts as churning:
// every garment shown is downloaded, as before.) A card whose download was dropped from the
// store's full queue (48 cards can ask at once) asks again after the same wait while it still
// shows that garment.
const IMAGE_SETTLE_MS = 100;
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const TITLES = {
  likelihood: ['Likelihood ', 'log q(z|x)', ', higher first'],
  euclidean: ['Euclidean ', '‖z − μ‖', ', lower first'],
};

export class SearchPanel {
  /** section: #panel-search; ctx: {client() (the worker client), state, messages}. */
  constructor(section, ctx) {
    this.section = section;
    this.ctx = ctx;
    this.state = ctx.state;
    this.$ = (id) => section.querySelector(`#${id}`);
    this.lane = new Lane('search'); // a frame's rankings are shown only if the settings did not change since
    this.slots = [...section.querySelectorAll('#rankings .ranking')].map((el) => ({
      el,
      title: el.querySelector('.ranking-title'),
      list: el.querySelector('.results'),
      cards: [],
      metric: null,
    }));
    this.status = this.$('search-status');
    this.lastResults = null;
  }

  /** Builds the controls for the loaded model and follows the index, colour map and links. */
  mount() {
    const { state } = this;
    const $ = this.$;
    const classSel = $('class-filter');
    state.classes.forEach((name, c) => classSel.append(new Option(name, String(c))));
    $('metric').addEventListener('change', (e) => this.set({ metric: e.target.value }));
    $('compare').addEventListener('change', (e) => this.set({ compare: e.target.checked }));
    $('split').addEventListener('change', (e) => this.set({ split: e.target.value }));
    classSel.addEventListener('change', (e) => this.set({ label: Number(e.target.value) }));
    fillSelect($('topk'), RESULT_COUNTS);
    $('topk').addEventListener('change', (e) => this.set({ results: Number(e.target.value) }));
    state.on('index', (index) => {
      if (index) {
        this.status.textContent = '';
        this.status.className = 'panel-status';
        this.progress = null;
        $('rankings').hidden = false; // after a retry that followed a failure
      }
    });
    state.on('colormap', () => this.redrawImages());
    state.on('applied', () => this.syncControls());
    this.layout();
  }

  get k() {
    return this.state.settings.results;
  }

  // A setting changed here: a frame in flight answers the old one (its rankings are dropped).
  set(change) {
    this.lane.invalidate();
    this.state.changeSettings(change);
    this.layout();
  }

  /** Puts the shared state into the controls (after a URL was applied). */
  syncControls() {
    const s = this.state.settings;
    const $ = this.$;
    $('metric').value = s.metric;
    $('compare').checked = s.compare;
    $('split').value = s.split;
    $('class-filter').value = String(s.label);
    $('topk').value = String(s.results);
    this.lane.invalidate();
    this.layout();
  }

  metrics() {
    const s = this.state.settings;
    const other = s.metric === 'likelihood' ? 'euclidean' : 'likelihood';
    return s.compare ? [s.metric, other] : [s.metric];
  }

  layout() {
    const metrics = this.metrics();
    this.$('rankings').classList.toggle('compare', metrics.length > 1);
    this.slots.forEach((slot, i) => {
      slot.metric = metrics[i] ?? null;
      slot.el.hidden = !slot.metric;
      slot.el.dataset.metric = slot.metric ?? '';
      if (slot.metric) {
        const [a, b, c] = TITLES[slot.metric];
        const em = document.createElement('em');
        em.textContent = b;
        slot.title.replaceChildren(a, em, c);
      }
      while (slot.cards.length < this.k) slot.cards.push(this.makeCard(slot));
      slot.cards.forEach((c, j) => (c.li.hidden = j >= this.k || c.id === null));
    });
  }

  /**
   * The search part of a frame request (args: null while the index is not loaded) and a ticket of
   * this panel's lane: ticket.current() is false once the settings changed since.
   */
  frameRequest() {
    return { args: this.request(), ticket: this.lane.begin() };
  }

  request() {
    if (!this.state.index) return null;
    const s = this.state.settings;
    const metrics = this.metrics();
    // Both metrics are always computed for the caption's "most likely garment".
    if (!metrics.includes('likelihood')) metrics.push('likelihood');
    return { k: this.k, metrics, filter: { split: s.split, label: s.label } };
  }

  makeCard(slot) {
    const li = document.createElement('li');
    li.className = 'result';
    li.hidden = true;
    const card = button('', 'card');
    const canvas = garmentCanvas('garment', '');
    const meta = document.createElement('span');
    meta.className = 'meta';
    const cls = document.createElement('span');
    cls.className = 'cls';
    const sub = document.createElement('span');
    sub.className = 'sub';
    const idEl = document.createElement('span');
    const scoreEl = document.createElement('span');
    sub.append(idEl, scoreEl);
    meta.append(cls, sub);
    card.append(canvas, meta);
    const rank = document.createElement('span');
    rank.className = 'rank';
    const add = button('+', 'add');
    li.append(card, rank, add);
    slot.list.append(li);
    const c = { li, card, canvas, cls, idEl, scoreEl, rank, add, id: null, image: new Lane('search-card') };
    card.addEventListener('click', () => {
      if (c.id !== null) this.state.loadGarment(this.ctx.client(), c.id).catch((e) => this.ctx.messages.note(e.message));
    });
    add.addEventListener('click', () => {
      if (c.id !== null) this.state.emit('add-keyframe', { type: 'garment', id: c.id });
    });
    return c;
  }

  /**
   * Draws a frame's rankings (results: {metric: {ids, scores}, candidates, error}: see the worker's
   * frame), and says why when there is nothing to rank or the ranking cannot tell garments apart.
   */
  show(results, z) {
    if (!results || !this.state.index) return;
    this.lastResults = results;
    this.explain(results);
    const sets = this.slots.filter((s) => s.metric).map((s) => new Set(results[s.metric] ? results[s.metric].ids : []));
    this.slots.forEach((slot, si) => {
      const r = slot.metric && results[slot.metric];
      if (!r) return;
      const other = sets.length > 1 ? sets[1 - si] : null;
      for (let j = 0; j < slot.cards.length; j++) {
        const c = slot.cards[j];
        if (j >= this.k || j >= r.ids.length) {
          c.li.hidden = true;
          c.id = null;
          continue;
        }
        c.li.hidden = false;
        this.fill(c, j, r.ids[j], r.scores[j], slot.metric, other);
      }
    });
  }

  // One sentence under the controls when the rankings need it (written only when it changes).
  explain(results) {
    const s = this.state.settings;
    let text = '';
    if (results.error) text = `Search failed for this z: ${results.error}`;
    else if (results.candidates === 0) {
      const what = [s.label >= 0 ? this.state.className(s.label) : 'garment', s.split !== 'all' ? `in the ${s.split} split` : ''].filter(Boolean).join(' ');
      text = `No ${what} is in the index, so there is nothing to rank. Change the split or class filter.`;
    } else {
      const r = results[s.metric];
      if (r && r.ids.length > 1 && r.scores[0] === r.scores[r.ids.length - 1]) {
        text = `All ${r.ids.length} shown garments score the same (${r.scores[0].toFixed(2)}): the index's codes do not tell them apart here, so they are listed by id.`;
      }
    }
    if (this.status.dataset.explained !== text || this.status.textContent !== text) {
      this.status.dataset.explained = text;
      this.status.className = results.error ? 'panel-status error' : 'panel-status';
      this.status.textContent = text;
    }
  }

  fill(c, rank, id, score, metric, other) {
    const { state } = this;
    const scoreText = metric === 'likelihood' ? score.toFixed(1) : score.toFixed(2);
    if (c.id !== id) {
      const now = performance.now();
      const churning = c.idSince !== undefined && now - c.idSince < IMAGE_SETTLE_MS;
      c.idSince = now;
      c.id = id;
      const label = state.index.labels[id];
      const name = state.className(label);
      const split = splitOf(id, state.manifest.garments.train_count);
      c.li.dataset.id = String(id);
      c.cls.textContent = name;
      c.cls.style.setProperty('--cls', classColor(label));
      c.idEl.textContent = `#${id}`;
      c.idEl.title = `${split} split`;
      c.card.setAttribute('aria-label', `${name}, garment ${id} (${split}). Load its μ into the sliders.`);
      c.add.setAttribute('aria-label', `Add garment ${id} to the timeline`);
      c.add.title = 'Add to the timeline';
      c.canvas.setAttribute('aria-label', `${name} #${id}`);
      this.drawImage(c, churning);
    }
    // Writes only what changed: setting even the same text replaces the node and dirties layout.
    if (c.rankShown !== rank) c.rank.textContent = String((c.rankShown = rank) + 1);
    const both = !!other && other.has(id);
    if (c.bothShown !== both) c.li.classList.toggle('both', (c.bothShown = both));
    if (c.scoreEl.textContent !== scoreText) {
      c.scoreEl.textContent = scoreText;
      c.scoreEl.title = metric === 'likelihood' ? 'log q(z|x), nats' : 'distance from z to μ';
    }
  }

  // The card's image: its page may arrive after the card moved on to another garment. A churning
  // card (IMAGE_SETTLE_MS) waits first, and the card moving on meanwhile cancels the download; so
  // does a retry of a dropped download.
  drawImage(c, churning = false, retry = false) {
    const ticket = c.image.begin();
    const { store } = this.state;
    const id = c.id;
    const px = store.peek(id);
    if (px) {
      drawGarment(c.canvas, px, this.state.lut);
      return;
    }
    clearGarment(c.canvas, this.state.lut);
    if (retry) perf.imageRetries++;
    else if (churning) perf.imageWaits++;
    ticket
      .wait(churning || retry ? wait(IMAGE_SETTLE_MS) : null)
      .then(() => ticket.wait(store.get(id)))
      .then((p) => drawGarment(c.canvas, p, this.state.lut))
      .catch((e) => {
        // Still this card's garment (a hidden card keeps its ticket but has no garment).
        if (e instanceof DroppedDownload && ticket.live && c.id === id) this.drawImage(c, false, true);
      });
  }

  redrawImages() {
    for (const slot of this.slots) for (const c of slot.cards) if (c.id !== null) this.drawImage(c);
  }

  showProgress({ loaded, total }) {
    if (this.state.index || this.state.indexError) return;
    if (!this.progress) {
      this.status.className = 'panel-status';
      this.status.textContent = '';
      this.progressText = document.createElement('span');
      this.progress = document.createElement('progress');
      this.status.append(this.progressText, this.progress);
    }
    this.progressText.textContent = total
      ? `Loading the garment index (${mb(total)}): ${Math.floor((100 * loaded) / total)}%`
      : 'Loading the garment index…';
    this.progress.max = total || 1;
    this.progress.value = loaded || 0;
  }

  showError(message) {
    this.progress = null;
    this.status.className = 'panel-status error';
    this.status.textContent = message;
    this.$('rankings').hidden = true;
  }
}
