// The explore panel: the decoded garment of the current z with its caption (and the dataset
// garment z came from), the latent sliders (sliders.js), and the controls around them: reset,
// randomise at a temperature, a garment by id, colour map and slider range.

import { Sliders } from './sliders.js';
import { Lane } from './latest.js';
import { drawGarment, fillSelect } from './render.js';
import { COLORMAPS, RANGES } from './state.js';
import { escapeHtml, samplePrior } from './util.js';

export class ExplorePanel {
  /** section: #panel-explore; ctx: {client() (the worker client), state, messages}. */
  constructor(section, ctx) {
    this.section = section;
    this.ctx = ctx;
    const $ = (id) => section.querySelector(`#${id}`);
    this.el = {
      preview: $('preview'), caption: $('preview-caption'), error: $('preview-error'),
      source: $('source'), sourceCanvas: $('source-canvas'), sourceLabel: $('source-label'),
      temperature: $('temperature'), temperatureOut: $('temperature-out'), garmentId: $('garment-id'),
      colormap: $('colormap'), range: $('range'),
    };
    this.logo = document.getElementById('logo'); // the masthead shows the same garment
    this.sliders = new Sliders(ctx.state, $('sliders'), $('quiet'), $('quiet-sliders'), $('quiet-summary'));
    this.sourceLane = new Lane('source'); // the thumbnail of the garment z came from
    this.sourceId = null;
    this.captionHtml = null;
    this.bindControls();
  }

  /** Draws a garment (Uint8 pixels) as the preview and the logo: the first one, before mount(). */
  drawGarment(pixels) {
    drawGarment(this.el.preview, pixels, this.ctx.state.lut);
    drawGarment(this.logo, pixels, this.ctx.state.lut);
  }

  /** Builds the sliders for the loaded model and follows z. */
  mount() {
    const { state } = this.ctx;
    this.el.garmentId.max = String(state.manifest.garments.count - 1);
    this.sliders.build(state.kl);
    state.on('z', (z, { fromSliders }) => fromSliders || this.sliders.setValues(z));
    state.on('applied', () => this.syncControls());
    state.on('colormap', () => (this.sourceId = null));
  }

  bindControls() {
    const { state, messages } = this.ctx;
    const el = this.el;
    const $ = (id) => this.section.querySelector(`#${id}`);
    $('reset').addEventListener('click', () => state.setZ(new Float32Array(state.latentSize)));
    el.temperature.addEventListener('input', () => (el.temperatureOut.textContent = Number(el.temperature.value).toFixed(2)));
    $('randomise').addEventListener('click', () => state.setZ(samplePrior(state.latentSize, Number(el.temperature.value))));
    $('from-garment').addEventListener('submit', (e) => {
      e.preventDefault();
      this.loadTypedGarment().catch((err) => messages.note(err.message));
    });
    fillSelect(el.colormap, COLORMAPS);
    el.colormap.addEventListener('change', (e) => state.changeSettings({ colormap: e.target.value }));
    fillSelect(el.range, RANGES);
    el.range.addEventListener('change', (e) => {
      state.changeSettings({ range: Number(e.target.value) });
      this.sliders.setRange(state.settings.range);
    });
  }

  // The form has novalidate: the page says what is wrong with the id (the browser's bubble would
  // not name the range, and an empty box would read as 0).
  async loadTypedGarment() {
    const { state, messages } = this.ctx;
    const text = this.el.garmentId.value.trim();
    const count = state.manifest.garments.count;
    const id = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
    if (!(id < count)) {
      messages.note(`${text === '' ? 'No garment id was given' : `There is no garment "${text.slice(0, 24)}"`}: ids are whole numbers from 0 to ${count - 1}.`);
      return;
    }
    await state.loadGarment(this.ctx.client(), id);
  }

  /** Puts the shared state's colour map and slider range into their controls (a link was applied). */
  syncControls() {
    const s = this.ctx.state.settings;
    this.el.colormap.value = s.colormap;
    this.el.range.value = String(s.range);
    this.sliders.setRange(s.range);
  }

  /** Draws a frame's garment and the caption (results: the rankings the caption may name). */
  showFrame(res, results) {
    this.drawGarment(res.pixels);
    this.updateCaption(results);
  }

  updateCaption(results) {
    const { state } = this.ctx;
    const el = this.el;
    if (state.zSource && state.index) {
      if (this.sourceId !== state.zSource.id || el.source.hidden) {
        const id = (this.sourceId = state.zSource.id);
        el.source.hidden = false;
        const ticket = this.sourceLane.begin();
        const px = state.store.peek(id);
        if (px) drawGarment(el.sourceCanvas, px, state.lut);
        else ticket.wait(state.store.get(id)).then((p) => drawGarment(el.sourceCanvas, p, state.lut)).catch(() => {});
        el.sourceLabel.textContent = `#${id}`;
      }
    } else {
      this.sourceLane.invalidate();
      this.sourceId = null;
      el.source.hidden = true;
    }
    this.updateCaptionText(results);
  }

  updateCaptionText(results) {
    const { state } = this.ctx;
    const top = results && results.likelihood;
    let html;
    if (state.zSource) {
      const { label, split } = state.garmentInfo(state.zSource.id);
      html = `μ of garment <b>#${state.zSource.id}</b>${label === null ? '' : `, a ${escapeHtml(state.className(label))}`} (${split})`;
    } else if (top && top.ids.length) html = `Most likely garment: <b>${escapeHtml(state.className(state.index.labels[top.ids[0]]))}</b> #${top.ids[0]}`;
    else html = 'Decoded from the current z';
    if (this.captionHtml !== html) this.el.caption.innerHTML = this.captionHtml = html;
  }

  /** The worker's first garment, drawn before the UI is built: the decoder is loaded, say so. */
  showFirstGarment(pixels) {
    this.drawGarment(pixels);
    this.updateCaptionText(null);
  }

  /** The decoder is unavailable: say so where the garment should be; retry adds a Retry button. */
  showUnavailable(message, retry = null) {
    this.el.error.hidden = false;
    this.el.error.textContent = message;
    this.el.caption.textContent = 'The decoder is unavailable, so nothing can be drawn.';
    this.captionHtml = null;
    if (retry) this.el.error.append(' ', retry);
  }

  /** Back to "loading" (a Retry). */
  showLoading() {
    this.el.error.hidden = true;
    this.el.error.textContent = '';
    this.el.caption.textContent = 'Loading the decoder…';
    this.captionHtml = null;
  }
}
