// Dataset garment images, fetched on demand from the pixel pages (page p holds items p*64 .. as
// 64 x 784 greyscale bytes) and kept in memory, least recently used first out.

const MAX_PAGES = 256; // 256 x 50 KB = 12.5 MB
const MAX_FETCHES = 6; // concurrent page downloads
const MAX_WAITING = 24; // queued page downloads; older ones are dropped (a drag moved on)

/** The error of a page download dropped from a full queue before it started (see loadPage). */
export class DroppedDownload extends Error {
  constructor(page) {
    super(`garment page ${page}: download dropped, more recent ones were queued`);
    this.name = 'DroppedDownload';
  }
}

export class GarmentStore {
  constructor(baseUrl, info) {
    this.base = baseUrl; // URL of the garments folder, ending in '/'
    this.pageSize = info.page_size;
    this.itemBytes = info.item_bytes;
    this.count = info.count;
    this.pages = new Map(); // page number -> Uint8Array, in recency order
    this.loading = new Map(); // page number -> Promise
    this.active = 0; // downloads in progress
    this.waiting = []; // [{p, start, reject}], newest last: served newest first
  }

  pageOf(id) {
    return Math.floor(id / this.pageSize);
  }

  /** The garment's pixels if its page is in memory (Uint8Array(784) view), else null. */
  peek(id) {
    const p = this.pageOf(id);
    const page = this.pages.get(p);
    if (!page) return null;
    this.pages.delete(p); // refresh recency
    this.pages.set(p, page);
    const o = (id % this.pageSize) * this.itemBytes;
    return page.subarray(o, o + this.itemBytes);
  }

  /** The garment's pixels (Uint8Array(784)); rejects if its page cannot be loaded. */
  async get(id) {
    if (!(Number.isInteger(id) && id >= 0 && id < this.count)) throw new Error(`garment ${id} does not exist`);
    const hit = this.peek(id);
    if (hit) return hit;
    await this.loadPage(this.pageOf(id));
    return this.peek(id);
  }

  loadPage(p) {
    if (this.loading.has(p)) return this.loading.get(p);
    const promise = new Promise((resolve, reject) => {
      const start = () => {
        this.active++;
        this.fetchPage(p)
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            this.loading.delete(p);
            const next = this.waiting.pop();
            if (next) next.start();
          });
      };
      if (this.active < MAX_FETCHES) start();
      else {
        this.waiting.push({ p, start, reject });
        if (this.waiting.length > MAX_WAITING) {
          const old = this.waiting.shift();
          this.loading.delete(old.p);
          old.reject(new DroppedDownload(old.p));
        }
      }
    });
    this.loading.set(p, promise);
    return promise;
  }

  async fetchPage(p) {
    const name = `p${String(p).padStart(4, '0')}.bin`;
    const r = await fetch(this.base + name);
    if (!r.ok) throw new Error(`garment page ${name}: HTTP ${r.status}`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    const items = Math.min(this.pageSize, this.count - p * this.pageSize);
    if (bytes.length !== items * this.itemBytes) throw new Error(`garment page ${name} has ${bytes.length} bytes, expected ${items * this.itemBytes}`);
    this.pages.set(p, bytes);
    while (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value);
    return bytes;
  }
}
