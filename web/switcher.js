// The panel switcher: the journey buttons in the masthead and the panel in focus (state.js's
// `panel` setting, p= in the link). On phone-sized screens only the focused panel shows.

export class PanelSwitcher {
  /** state: the shared state (settings.panel); emits 'focus' (panel) when it changes. */
  constructor(state) {
    this.state = state;
    this.buttons = [...document.querySelectorAll('.journey')];
    this.panels = [...document.querySelectorAll('.layout > .panel')];
  }

  mount() {
    for (const b of this.buttons) b.addEventListener('click', () => this.focus(b.dataset.panel));
    // Working in a panel (a click, a tab) focuses it too, without scrolling.
    for (const p of this.panels) {
      p.addEventListener('focusin', () => {
        if (this.state.settings.panel !== p.dataset.panel) this.mark(p.dataset.panel);
      });
    }
  }

  /** Focuses panel name: marks it, scrolls it into view (wide screens) or to the top (phones). */
  focus(name, { scroll = true } = {}) {
    this.mark(name);
    if (scroll) {
      const el = document.getElementById(`panel-${name}`);
      if (el && el.scrollIntoView && window.matchMedia('(min-width: 761px)').matches) el.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
      else window.scrollTo({ top: 0 });
    }
  }

  mark(name) {
    for (const b of this.buttons) b.setAttribute('aria-current', String(b.dataset.panel === name));
    for (const p of this.panels) p.classList.toggle('focus', p.dataset.panel === name);
    this.state.changeSettings({ panel: name });
    this.state.emit('focus', name);
  }
}
