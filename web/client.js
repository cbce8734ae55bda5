// The page's side of the worker protocol (see worker.js): promise-returning calls and load events.

export class WorkerError extends Error {
  constructor(message, kind) {
    super(message);
    this.kind = kind;
  }
}

export class WardrobeClient {
  constructor(url, onEvent) {
    this.pending = new Map();
    this.nextId = 1;
    this.onEvent = onEvent;
    this.dead = null;
    this.worker = new Worker(url, { type: 'module' });
    this.worker.onmessage = (e) => this.receive(e.data);
    // A worker that fails to start (missing file, syntax error, no module workers) fails every call.
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.fail(new WorkerError(`The background worker failed to start${e.message ? `: ${e.message}` : ''}.`, 'worker'));
    };
    this.worker.onmessageerror = () => this.fail(new WorkerError('The background worker sent an unreadable message.', 'worker'));
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
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new WorkerError(msg.error, msg.kind));
  }

  call(op, args = {}, transfer = []) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }
}
