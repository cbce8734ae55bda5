// The search panel: the current z ranks all garments by log q(z|x) (or Euclidean distance to μ),
// redrawn every frame. Result cards are reused in place, so a frame costs a few text and pixel
// updates, not new DOM.

import { drawGarment, clearGarment, garmentCanvas, fillSelect } from './render.js';
import { RESULT_COUNTS } from './state.js';
import { Lane } from './latest.js';

const $ = (id) => document.getElementById(id);
const TITLES = {
  likelihood: ['Likelihood ', 'log q(z|x)', ', higher first'],
  euclidean: ['Euclidean ', '‖z − μ‖', ', lower first'],
};

export class SearchPanel {
  constructor(app) {
    this.app = app;
    this.lane = new Lane('search'); // a frame's rankings are shown only if the settings did not change since
    this.slots = [...document.querySelectorAll('#rankings .ranking')].map((el) => ({
      el,
      title: el.querySelector('.ranking-title'),
      list: el.querySelector('.results'),
      cards: [],
      metric: null,
    }));
    this.status = $('search-status');
    this.lastResults = null;
  }

  init() {
    const app = this.app;
    const classSel = $('class-filter');
    app.classes.forEach((name, c) => classSel.append(new Option(name, String(c))));
    $('metric').addEventListener('change', (e) => this.set({ metric: e.target.value }));
    $('compare').addEventListener('change', (e) => this.set({ compare: e.target.checked }));
    $('split').addEventListener('change', (e) => this.set({ split: e.target.value }));
    classSel.addEventListener('change', (e) => this.set({ label: Number(e.target.value) }));
    fillSelect($('topk'), RESULT_COUNTS);
    $('topk').addEventListener('change', (e) => this.set({ results: Number(e.target.value) }));
    app.on('index', (index) => {
      if (index) {
        this.status.textContent = '';
        this.status.className = 'panel-status';
        this.progress = null;
        $('rankings').hidden = false; // after a retry that followed a failure
      }
    });
    app.on('colormap', () => this.redrawImages());
    this.layout();
  }

  get k() {
    return this.app.state.results;
  }

  set(change) {
    Object.assign(this.app.state, change);
    this.lane.invalidate();
    this.layout();
    this.app.requestFrame();
    this.app.saveUrlSoon();
  }

  /** Puts the shared state into the controls (after a URL was applied). */
  syncControls() {
    const s = this.app.state;
    $('metric').value = s.metric;
    $('compare').checked = s.compare;
    $('split').value = s.split;
    $('class-filter').value = String(s.label);
    $('topk').value = String(s.results);
    this.lane.invalidate();
    this.layout();
  }

  metrics() {
    const s = this.app.state;
    const other = s.metric === 'likelihood' ? 'euclidean' : 'likelihood';
    return s.compare ? [s.metric, other] : [s.metric];
  }

  layout() {
    const metrics = this.metrics();
    $('rankings').classList.toggle('compare', metrics.length > 1);
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

  /** The search part of a frame request, or null while the index is not loaded. */
  request() {
    if (!this.app.index) return null;
    const s = this.app.state;
    const metrics = this.metrics();
    // Both metrics are always computed for the caption's "most likely garment".
    if (!metrics.includes('likelihood')) metrics.push('likelihood');
    return { k: this.k, metrics, filter: { split: s.split, label: s.label } };
  }

  makeCard(slot) {
    const li = document.createElement('li');
    li.className = 'result';
    li.hidden = true;
    const card = document.createElement('button');
    card.type = 'button';
    card.className = 'card';
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
    const add = document.createElement('button');
    add.type = 'button';
    add.className = 'add';
    add.textContent = '+';
    li.append(card, rank, add);
    slot.list.append(li);
    const c = { li, card, canvas, cls, idEl, scoreEl, rank, add, id: null, image: new Lane('search-card') };
    card.addEventListener('click', () => {
      if (c.id !== null) this.app.loadGarmentIntoSliders(c.id).catch((e) => this.app.note(e.message));
    });
    add.addEventListener('click', () => {
      if (c.id !== null) this.app.timelineAdd({ type: 'garment', id: c.id });
    });
    return c;
  }

  /**
   * Draws a frame's rankings (results: {metric: {ids, scores}, candidates, error}: see the worker's
   * frame), and says why when there is nothing to rank or the ranking cannot tell garments apart.
   */
  show(results, z) {
    if (!results || !this.app.index) return;
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
    const s = this.app.state;
    let text = '';
    if (results.error) text = `Search failed for this z: ${results.error}`;
    else if (results.candidates === 0) {
      const what = [s.label >= 0 ? this.app.className(s.label) : 'garment', s.split !== 'all' ? `in the ${s.split} split` : ''].filter(Boolean).join(' ');
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
    const app = this.app;
    const scoreText = metric === 'likelihood' ? score.toFixed(1) : score.toFixed(2);
    if (c.id !== id) {
      c.id = id;
      const label = app.index.labels[id];
      const name = app.className(label);
      const split = id < app.manifest.garments.train_count ? 'train' : 'test';
      c.li.dataset.id = String(id);
      c.cls.textContent = name;
      c.cls.style.setProperty('--cls', app.classColor(label));
      c.idEl.textContent = `#${id}`;
      c.idEl.title = `${split} split`;
      c.card.setAttribute('aria-label', `${name}, garment ${id} (${split}). Load its μ into the sliders.`);
      c.add.setAttribute('aria-label', `Add garment ${id} to the timeline`);
      c.add.title = 'Add to the timeline';
      c.canvas.setAttribute('aria-label', `${name} #${id}`);
      this.drawImage(c);
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

  // The card's image: its page may arrive after the card moved on to another garment.
  drawImage(c) {
    const ticket = c.image.begin();
    const px = this.app.store.peek(c.id);
    if (px) {
      drawGarment(c.canvas, px, this.app.lut);
      return;
    }
    clearGarment(c.canvas, this.app.lut);
    ticket
      .wait(this.app.store.get(c.id))
      .then((p) => drawGarment(c.canvas, p, this.app.lut))
      .catch(() => {});
  }

  redrawImages() {
    for (const slot of this.slots) for (const c of slot.cards) if (c.id !== null) this.drawImage(c);
  }

  showProgress({ loaded, total }) {
    if (this.app.index || this.app.indexError) return;
    if (!this.progress) {
      this.status.className = 'panel-status';
      this.status.textContent = '';
      this.progressText = document.createElement('span');
      this.progress = document.createElement('progress');
      this.status.append(this.progressText, this.progress);
    }
    this.progressText.textContent = total
      ? `Loading the garment index (${this.app.mb(total)}): ${Math.floor((100 * loaded) / total)}%`
      : 'Loading the garment index…';
    this.progress.max = total || 1;
    this.progress.value = loaded || 0;
  }

  showError(message) {
    this.progress = null;
    this.status.className = 'panel-status error';
    this.status.textContent = message;
    $('rankings').hidden = true;
  }
}
