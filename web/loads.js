// The download bars in the masthead (decoder, index): the worker's progress events drawn.

import { mb } from './util.js';

/** Updates bar `name`: progress {loaded, total, cached}, or {failed}, {done}, {reset}. */
export function setLoad(name, { loaded, total, cached, failed, done, reset } = {}) {
  const el = document.querySelector(`.load[data-name="${name}"]`);
  if (!el) return;
  const bar = el.querySelector('progress');
  const size = el.querySelector('.load-size');
  const all = document.getElementById('loads');
  if (reset) {
    el.classList.remove('failed', 'done');
    size.textContent = '';
    bar.value = 0;
    all.classList.remove('all-done');
    return;
  }
  if (failed) {
    el.classList.add('failed');
    size.textContent = 'failed';
    return;
  }
  if (total) {
    bar.max = total;
    bar.value = loaded;
    size.textContent = cached ? 'cached' : loaded >= total ? mb(total) : `${mb(loaded)} / ${mb(total)}`;
  }
  if (done || (total && loaded >= total)) el.classList.add('done');
  const finished = [...document.querySelectorAll('.load')].every((l) => l.classList.contains('done') || l.classList.contains('failed'));
  all.classList.toggle('all-done', finished);
}
