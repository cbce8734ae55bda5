// The page's message sink: dismissable notes (#notes, polite) and errors (#messages, alerts).
// Every panel gets it in its context and reports through it.

import { button } from './util.js';

/** A sink writing into the two containers: {note(text, action), error(text, action)}. */
export function createMessages(notesEl, errorsEl) {
  return {
    /** A dismissable note; action = {label, run} adds a button (e.g. the new version's Reload). */
    note: (text, action = null) => addMessage(notesEl, 'note', text, action),
    error: (text, action = null) => addMessage(errorsEl, 'message', text, action),
    /** Removes the errors that offer an action (a Retry superseded by another). */
    dropActions: () => {
      for (const m of errorsEl.querySelectorAll('.message')) if (m.querySelector('button.action')) m.remove();
    },
  };
}

/** A dismissable message; action = {label, run} adds a button that removes the message and runs. */
function addMessage(container, cls, text, action) {
  for (const el of container.children) if (el.dataset.text === text) return; // no duplicates
  const el = document.createElement('div');
  el.className = cls;
  el.dataset.text = text;
  const span = document.createElement('span');
  span.textContent = text;
  el.append(span);
  if (action) {
    el.append(button(action.label, 'action', () => {
      el.remove();
      action.run();
    }));
  }
  const close = button('×', '', () => el.remove());
  close.setAttribute('aria-label', 'Dismiss');
  el.append(close);
  container.append(el);
}
