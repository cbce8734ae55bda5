// The page's side of the worker protocol (see worker.js): promise-returning calls and load events.

export class WorkerError extends Error {
  constructor(message, kind) {
    super(message);
    this.kind = kind;
  }
}

export class WardrobeClient {
  /**
   * early: the worker index.html started before this module loaded ({worker, queue, error}), whose
   * init request {id: 0, op: 'init'} went in its name (worker.js); its answers so far wait in early.queue.
   */
  constructor(url, onEvent, early = null) {
    this.pending = new Map();
    this.nextId = 1;
    this.onEvent = onEvent;
    this.dead = null;
    // Test hook: delayReplies(op, args) -> ms holds that request's answer for ms on this thread
    // before delivering it, so browser tests can reorder the worker's answers on purpose.
    this.delayReplies = null;
    this.early = early && early.worker ? early : null;
    this.worker = this.early ? this.early.worker : new Worker(url, { type: 'module' });
    this.worker.onmessage = (e) => this.receive(e.data);
    // A worker that fails to start (missing file, syntax error, no module workers) fails every call.
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.fail(new WorkerError(`The background worker failed to start${e.message ? `: ${e.message}` : ''}.`, 'worker'));
    };
    this.worker.onmessageerror = () => this.fail(new WorkerError('The background worker sent an unreadable message.', 'worker'));
  }

  /** The worker's init: adopts the early worker's request (id 0) or sends one. */
  init(args) {
    if (!this.early) return this.call('init', args);
    const early = this.early;
    this.early = null;
    const promise = new Promise((resolve, reject) => this.pending.set(0, { resolve, reject }));
    for (const msg of early.queue.splice(0)) this.receive(msg);
    if (early.error) this.fail(new WorkerError(`The background worker failed to start: ${early.error}.`, 'worker'));
    return promise;
  }

  fail(error) {
    this.dead = error;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }

  receive(msg) {
    if (msg.event) {
      this.onEvent(msg);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    const settle = () => (msg.ok ? p.resolve(msg.result) : p.reject(new WorkerError(msg.error, msg.kind)));
    if (p.delay > 0) setTimeout(settle, p.delay);
    else settle();
  }

  call(op, args = {}, transfer = []) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const delay = this.delayReplies ? this.delayReplies(op, args) : 0;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, delay });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }
}
