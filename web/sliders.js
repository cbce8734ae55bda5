// The latent sliders: one per dimension, ordered by the dimension's KL activity (how much the
// encoder uses it), with the quiet ones (KL below QUIET_KL nats) folded away.

const QUIET_KL = 0.05;

export class Sliders {
  /** state: the shared state (z, setZ); the elements the rows go into. */
  constructor(state, activeEl, quietDetails, quietEl, quietSummary) {
    this.state = state;
    this.activeEl = activeEl;
    this.quietDetails = quietDetails;
    this.quietEl = quietEl;
    this.quietSummary = quietSummary;
    this.rows = []; // per dimension k: {input, output, row}
    this.range = 5;
  }

  build(kl) {
    const d = kl.length;
    const hasStats = kl.some((v) => v > 0);
    const order = [...Array(d).keys()].sort((a, b) => kl[b] - kl[a] || a - b);
    const maxKl = Math.max(...kl, 1e-9);
    this.activeEl.textContent = '';
    this.quietEl.textContent = '';
    let quiet = 0;
    for (const k of order) {
      const isQuiet = hasStats && kl[k] < QUIET_KL;
      if (isQuiet) quiet++;
      const row = this.makeRow(k, kl[k], maxKl, hasStats);
      (isQuiet ? this.quietEl : this.activeEl).append(row.row);
      this.rows[k] = row;
    }
    this.quietDetails.hidden = quiet === 0;
    this.quietSummary.textContent = `${quiet} quiet dimension${quiet === 1 ? '' : 's'} (KL < ${QUIET_KL} nats: the decoder ignores them)`;
    this.explain(hasStats ? '' : `This model reports no KL activity for any of its ${d} dimensions (all 0, or no statistics), so the sliders are in dimension order and none is folded away.`);
  }

  // A line above the sliders when their order needs explaining.
  explain(text) {
    if (!this.note) {
      this.note = document.createElement('p');
      this.note.id = 'slider-note';
      this.note.className = 'panel-status';
      this.activeEl.before(this.note);
    }
    this.note.textContent = text;
  }

  makeRow(k, kl, maxKl, hasStats) {
    const row = document.createElement('div');
    row.className = 'slider';
    const id = `z-${k}`;
    const label = document.createElement('label');
    label.className = 'dim';
    label.htmlFor = id;
    label.textContent = `z${k}`;
    const meter = document.createElement('span');
    meter.className = 'kl';
    meter.title = hasStats ? `KL activity ${kl.toFixed(3)} nats` : 'no KL activity reported by this model';
    const fill = document.createElement('i');
    fill.style.width = `${Math.max(2, (100 * kl) / maxKl)}%`;
    meter.append(fill);
    const input = document.createElement('input');
    input.type = 'range';
    input.id = id;
    input.min = String(-this.range);
    input.max = String(this.range);
    input.step = '0.01';
    input.value = '0';
    input.dataset.dim = String(k);
    input.setAttribute('aria-label', `Latent dimension ${k}${hasStats ? `, KL ${kl.toFixed(2)} nats` : ''}`);
    const output = document.createElement('output');
    output.htmlFor = id;
    output.textContent = '0.00';
    row.append(label, meter, input, output);
    input.addEventListener('input', () => this.onInput(k));
    input.addEventListener('keydown', (e) => this.onKey(e, k));
    const r = { row, input, output };
    this.paint(r, 0);
    return r;
  }

  onInput(k) {
    const r = this.rows[k];
    const v = Number(r.input.value);
    const z = Float32Array.from(this.state.z);
    z[k] = v;
    this.paint(r, v);
    this.state.setZ(z, { fromSliders: true });
  }

  // Keyboard steps sized for a [-5, 5] range: arrows 0.1, Shift+arrows or Page keys 1,
  // Home/End the ends, 0 or Delete back to zero.
  onKey(e, k) {
    const r = this.rows[k];
    let v = Number(r.input.value);
    const big = e.shiftKey ? 1 : 0.1;
    switch (e.key) {
      case 'ArrowRight': case 'ArrowUp': v += big; break;
      case 'ArrowLeft': case 'ArrowDown': v -= big; break;
      case 'PageUp': v += 1; break;
      case 'PageDown': v -= 1; break;
      case 'Home': v = -this.range; break;
      case 'End': v = this.range; break;
      case '0': case 'Delete': case 'Backspace': v = 0; break;
      default: return;
    }
    e.preventDefault();
    v = Math.max(-this.range, Math.min(this.range, Math.round(v * 100) / 100));
    r.input.value = String(v);
    this.onInput(k);
  }

  // The track is filled from 0 to the value, so the sign and size read at a glance.
  paint(r, v) {
    const R = this.range;
    const clamped = Math.max(-R, Math.min(R, v));
    const a = 50, b = 50 + (50 * clamped) / R;
    const lo = Math.min(a, b), hi = Math.max(a, b);
    r.input.style.setProperty('--track', `linear-gradient(90deg, var(--line-2) ${lo}%, var(--accent) ${lo}%, var(--accent) ${hi}%, var(--line-2) ${hi}%)`);
    r.output.textContent = (Math.abs(v) < 0.005 ? 0 : v).toFixed(2);
    r.input.setAttribute('aria-valuetext', v.toFixed(2));
  }

  /** Shows z without firing input events (z came from elsewhere). */
  setValues(z) {
    for (let k = 0; k < z.length; k++) {
      const r = this.rows[k];
      if (!r) continue;
      r.input.value = String(z[k]);
      this.paint(r, z[k]);
    }
  }

  setRange(range) {
    this.range = range;
    for (const r of this.rows) {
      if (!r) continue;
      r.input.min = String(-range);
      r.input.max = String(range);
    }
    this.setValues(this.state.z);
  }
}
