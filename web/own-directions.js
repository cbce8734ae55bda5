// Attribute directions in the own-garment panel: one slider per class moving z along the class's
// mean μ minus the mean of all garments (from where z was when the sliders left 0), and class
// arithmetic, z + (mean of "to" − mean of "from").

import { classIndex } from './util.js';

export class Directions {
  /** section: #panel-own; ctx: {state, messages}. */
  constructor(section, ctx) {
    this.state = ctx.state;
    this.messages = ctx.messages;
    this.$ = (id) => section.querySelector(`#${id}`);
    this.base = null; // z when the direction sliders were last all at 0
    this.moving = false; // true while these sliders set z
    this.inputs = [];
  }

  /** Follows the index (the directions need it) and z; binds the arithmetic form. */
  mount() {
    const { state } = this;
    const onIndex = (index) => {
      if (index) this.build();
      else this.$('own-dirs').textContent = 'The attribute directions need the garment index, which did not load.';
    };
    if (state.index) onIndex(state.index);
    state.on('index', onIndex);
    // Any other change of z makes it the new starting point.
    state.on('z', () => {
      if (this.moving || this.base === null) return;
      this.base = null;
      for (const input of this.inputs) input.value = '0';
    });
    this.$('own-arith').addEventListener('submit', (e) => {
      e.preventDefault();
      this.applyArithmetic();
    });
  }

  // Each class's mean μ minus the mean of all garments.
  directions() {
    const { classMeans, pca } = this.state.index;
    const d = this.state.latentSize;
    return this.state.classes.map((_, c) => {
      const v = new Float32Array(d);
      for (let k = 0; k < d; k++) v[k] = classMeans[c * d + k] - pca.mean[k];
      return v;
    });
  }

  apply() {
    if (!this.base) this.base = Float32Array.from(this.state.z);
    const dirs = this.directions();
    const z = Float32Array.from(this.base);
    this.inputs.forEach((input, c) => {
      const t = Number(input.value);
      for (let k = 0; k < z.length; k++) z[k] += t * dirs[c][k];
    });
    this.moving = true;
    this.state.setZ(z);
    this.moving = false;
  }

  // A direction needs garments of its class, and a class mean apart from the overall mean.
  problem(c, counts, dirs) {
    if (!counts[c]) return `no ${this.state.className(c)} in the index`;
    if (!dirs[c].some((v) => Math.abs(v) > 1e-6)) return `its mean μ is the mean of all garments`;
    return '';
  }

  build() {
    const { state } = this;
    const box = this.$('own-dirs');
    box.replaceChildren();
    const counts = state.classCounts();
    const dirs = this.directions();
    this.inputs = state.classes.map((name, c) => {
      const label = document.createElement('label');
      label.className = 'field inline own-dir';
      const input = document.createElement('input');
      Object.assign(input, { type: 'range', min: '-1', max: '1.5', step: '0.05', value: '0' });
      input.dataset.class = String(c);
      input.setAttribute('aria-label', `More like ${name}`);
      input.addEventListener('input', () => this.apply());
      const problem = this.problem(c, counts, dirs);
      input.disabled = !!problem;
      label.title = problem ? `No direction: ${problem}` : '';
      label.append(`more like ${name}${problem ? ` (${problem})` : ''}`, input);
      box.append(label);
      return input;
    });
    for (const id of ['own-from', 'own-to']) this.$(id).replaceChildren(...state.classes.map((name, c) => new Option(name, String(c))));
    this.$('own-from').value = String(classIndex(state.classes, 'Shirt', 0));
    this.$('own-to').value = String(classIndex(state.classes, 'Dress', 1));
  }

  applyArithmetic() {
    const { state } = this;
    if (!state.index) return;
    const { classMeans } = state.index;
    const d = state.latentSize;
    const a = Number(this.$('own-from').value), b = Number(this.$('own-to').value);
    const counts = state.classCounts();
    const missing = [a, b].find((c) => !counts[c]);
    if (missing !== undefined) {
      this.messages.note(`The garment index has no ${state.className(missing)}, so it has no mean μ to move by.`);
      return;
    }
    const z = Float32Array.from(state.z);
    for (let k = 0; k < d; k++) z[k] += classMeans[b * d + k] - classMeans[a * d + k];
    state.setZ(z);
  }
}
