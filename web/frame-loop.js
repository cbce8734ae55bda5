// The interactive loop: any change of z (or of the search settings) marks the frame dirty; on the
// next animation frame, if no request is in flight, the latest z goes to the worker (decode +
// search in one `frame` request); when the answer arrives it is drawn, and if z changed meanwhile
// the next request goes out on the next animation frame. So the worker never holds a queue of
// stale frames.

import { Lane, isStale } from './latest.js';
import { perf, record } from './perf.js';

export class FrameLoop {
  /**
   * client: the worker client; state: the shared state (z).
   * searchRequest(): {args, ticket} the search part of a frame (args null without the index) and
   *   the search lane's ticket, whose current() says if the settings are unchanged at the answer.
   * onFrame(z, res, searchLive): draws an answer; onError(message): the decoder failed.
   */
  constructor({ client, state, searchRequest, onFrame, onError }) {
    Object.assign(this, { client, state, searchRequest, onFrame, onError });
    this.dirty = false;
    this.inFlight = false;
    this.rafPending = false;
    this.lane = new Lane('frame'); // the preview: one request in flight, the newest z next
  }

  request() {
    this.dirty = true;
    if (!this.rafPending && !this.inFlight && this.client() && this.state.z) {
      this.rafPending = true;
      requestAnimationFrame(() => this.pump());
    }
  }

  pump() {
    this.rafPending = false;
    if (this.inFlight || !this.dirty) return;
    this.dirty = false;
    this.inFlight = true;
    const t0 = performance.now();
    const z = Float32Array.from(this.state.z);
    // The rankings answer this request's settings: if they change before it returns, its rankings
    // are dropped (the next frame brings the new ones); its garment is still the newest z's.
    const search = this.searchRequest();
    this.lane
      .begin()
      .wait(this.client().call('frame', { z, search: search.args }))
      .then((res) => {
        const t1 = performance.now();
        this.onFrame(z, res, search.ticket.current());
        measure(res, t0, t1, performance.now());
      })
      .catch((e) => isStale(e) || this.onError(e.message))
      .finally(() => {
        this.inFlight = false;
        if (this.dirty) {
          this.rafPending = true;
          requestAnimationFrame(() => this.pump());
        }
      });
  }
}

// Round trip, time in the worker, drawing; and the split of the round trip: to the worker, in the
// worker, back to this thread (queued behind rendering), drawing.
function measure(res, t0, t1, t2) {
  record('frames', t2 - t0);
  record('workerMs', res.ms);
  record('drawMs', t2 - t1);
  if (res.at) {
    const o = performance.timeOrigin;
    record('split', [res.at[0] - (o + t0), res.at[1] - res.at[0], o + t1 - res.at[1], t2 - t1]);
  }
  if (perf.boot.firstFrame === undefined) perf.boot.firstFrame = { sent: t0, answered: t1, drawn: t2 };
}
