// Latest-only requests: each view of the page (the own-garment panel, the sliders' z, the source
// thumbnail, the timeline, an index download...) is a Lane. Starting a request takes a Ticket and
// makes every earlier ticket of that lane stale; an answer is applied only while its ticket is
// still the latest, so a slow, older answer (a big picture still decoding, a delayed worker reply,
// a garment page from a slow connection) never replaces a newer one.
//
//   const ticket = lane.begin();
//   const res = await ticket.wait(client.call('ownEncode', ...)); // throws Stale if superseded
//   apply(res);
//
// A stale answer's errors are dropped too (throws Stale, not the error): the view moved on.

/** Thrown by Ticket.wait when a newer request of the same lane began meanwhile. */
export class Stale extends Error {
  constructor(lane) {
    super(`superseded by a newer ${lane} request`);
    this.name = 'Stale';
  }
}

export const isStale = (e) => e instanceof Stale;

/**
 * Counters per lane name (lanes of one name, e.g. every search card's, add up): requests begun
 * and stale answers dropped. The browser tests read them (window.__lwLanes, published by main.js).
 */
export const lanes = {};

export class Lane {
  constructor(name) {
    this.name = name;
    this.seq = 0; // number of the latest request
    this.stats = lanes[name] || (lanes[name] = { requests: 0, dropped: 0 });
  }

  /** Starts a request: every earlier ticket of this lane is stale from now on. */
  begin() {
    this.stats.requests++;
    return new Ticket(this, ++this.seq);
  }

  /** A synchronous change of the view: pending requests may no longer apply. */
  invalidate() {
    this.seq++;
  }
}

class Ticket {
  constructor(lane, seq) {
    this.lane = lane;
    this.seq = seq;
  }

  /** True while no newer request of the lane has begun. */
  get live() {
    return this.seq === this.lane.seq;
  }

  /** Whether an answer for this request may be applied now; counts a dropped answer if not. */
  current() {
    if (this.live) return true;
    this.lane.stats.dropped++;
    return false;
  }

  /** Throws Stale (and counts a dropped answer) unless this is still the latest request. */
  check() {
    if (!this.current()) throw new Stale(this.lane.name);
  }

  /** Awaits a promise; its value or error only if this is still the latest request, else Stale. */
  async wait(promise) {
    let value;
    try {
      value = await promise;
    } catch (e) {
      this.check();
      throw e;
    }
    this.check();
    return value;
  }
}

