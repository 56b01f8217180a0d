// The live photo gallery: newest first, filtered by job and date, loaded a page at a time as
// you scroll (keyset paging, so new arrivals never shift a page), thumbnails fetched only when
// they come near the screen. New photos appear at the top; a thumbnail swaps in when ready.

import { currentFileToken, fileUrl, parseDate, pb } from "../api.js";
import { announce, h, replace } from "../dom.js";
import { formatDateTime, language, t } from "../i18n.js";
import { openViewer } from "./viewer.js";

const PAGE = 60;

function newerFirst(a, b) {
  if (a.created !== b.created) return a.created < b.created ? 1 : -1;
  return a.id < b.id ? 1 : -1;
}

export class Gallery {
  constructor(app) {
    this.app = app;
    this.photos = [];
    this.tiles = new Map(); // id -> li
    this.byId = new Map(); // id -> photo
    this.done = false;
    this.loading = false;
    this.loaded = false;
    this.generation = 0;
    this.language = "";
    this.filters = { job: "", from: "", to: "" };
    this.grid = h("ul", { class: "gallery", "aria-label": t("gallery.label") });
    this.status = h("p", { class: "muted", role: "status" });
    this.sentinel = h("div", { class: "sentinel", "aria-hidden": "true" });
    this.jobSelect = h("select", { id: "filter-job", onchange: () => this.setFilter("job", this.jobSelect.value) });
    this.from = h("input", { id: "filter-from", type: "date", onchange: () => this.setFilter("from", this.from.value) });
    this.to = h("input", { id: "filter-to", type: "date", onchange: () => this.setFilter("to", this.to.value) });
    this.heading = h("h1", {});
    this.labels = {
      job: h("label", { for: "filter-job" }),
      from: h("label", { for: "filter-from" }),
      to: h("label", { for: "filter-to" }),
    };
    this.root = h(
      "div",
      { class: "gallery-view" },
      h(
        "div",
        { class: "toolbar" },
        this.heading,
        h(
          "div",
          { class: "filters" },
          h("div", { class: "field" }, this.labels.job, this.jobSelect),
          h("div", { class: "field" }, this.labels.from, this.from),
          h("div", { class: "field" }, this.labels.to, this.to),
        ),
      ),
      this.grid,
      this.status,
      this.sentinel,
    );
    this.thumbs = new IntersectionObserver((entries) => this.showThumbs(entries), { rootMargin: "800px 0px" });
    this.more = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) this.loadMore();
    }, { rootMargin: "1200px 0px" });
    this.more.observe(this.sentinel);
  }

  /** Put the gallery on the page (it keeps its photos across tab switches). */
  mount(main) {
    this.label();
    replace(main, this.root);
    if (!this.loaded) this.reset();
    else if (this.language !== language()) this.redrawMeta();
    this.language = language();
  }

  /** Texts in the current language, and the job filter's options. */
  label() {
    this.heading.textContent = t("office.tab.gallery");
    this.labels.job.textContent = t("gallery.filterJob");
    this.labels.from.textContent = t("gallery.from");
    this.labels.to.textContent = t("gallery.to");
    this.grid.setAttribute("aria-label", t("gallery.label"));
    replace(
      this.jobSelect,
      h("option", { value: "", text: t("gallery.allJobs") }),
      this.app.jobs.map((job) => h("option", { value: job.id, selected: job.id === this.filters.job, text: job.title })),
    );
  }

  update(kind) {
    if (kind === "jobs") this.label();
  }

  setFilter(name, value) {
    this.filters[name] = value;
    this.reset();
  }

  filter(extra = "") {
    const parts = [];
    const params = {};
    if (this.filters.job) {
      parts.push("job = {:job}");
      params.job = this.filters.job;
    }
    if (this.filters.from) {
      parts.push("created >= {:from}");
      params.from = `${this.filters.from} 00:00:00.000Z`;
    }
    if (this.filters.to) {
      parts.push("created < {:to}");
      const end = new Date(`${this.filters.to}T00:00:00Z`);
      end.setUTCDate(end.getUTCDate() + 1);
      params.to = end.toISOString().replace("T", " ");
    }
    if (extra) parts.push(extra);
    return pb.filter(parts.join(" && "), params);
  }

  matches(photo) {
    const f = this.filters;
    if (f.job && photo.job !== f.job) return false;
    const day = (photo.created || "").slice(0, 10);
    if (f.from && day < f.from) return false;
    if (f.to && day > f.to) return false;
    return true;
  }

  async reset() {
    this.generation += 1;
    this.loaded = true;
    this.photos = [];
    this.tiles.clear();
    this.byId.clear();
    this.thumbs.disconnect();
    this.done = false;
    this.loading = false;
    replace(this.grid);
    await this.loadMore();
  }

  async loadMore() {
    if (this.loading || this.done || !this.loaded) return;
    this.loading = true;
    const generation = this.generation;
    this.status.textContent = t("gallery.loading");
    try {
      const last = this.photos[this.photos.length - 1];
      const after = last ? pb.filter("(created < {:c} || (created = {:c} && id < {:id}))", { c: last.created, id: last.id }) : "";
      const page = await pb.collection("photos").getList(1, PAGE, { filter: this.filter(after), sort: "-created,-id", skipTotal: true });
      if (generation !== this.generation) return;
      for (const photo of page.items) this.place(photo);
      this.done = page.items.length < PAGE;
    } catch {
      if (generation === this.generation) this.status.textContent = t("gallery.loadFailed");
      return;
    } finally {
      if (generation === this.generation) this.loading = false;
    }
    this.status.textContent = this.photos.length ? (this.done ? t("gallery.count", { count: this.photos.length }) : "") : t("photo.none");
    // An observer only reports changes: observe again to hear whether the end is still near.
    if (!this.done) {
      this.more.unobserve(this.sentinel);
      this.more.observe(this.sentinel);
    }
  }

  /** After a reconnect: the newest page again, to be sure nothing was missed. */
  async catchUp() {
    if (!this.loaded) return;
    try {
      const page = await pb.collection("photos").getList(1, PAGE, { filter: this.filter(), sort: "-created,-id", skipTotal: true });
      for (const photo of page.items.reverse()) this.apply("photo.updated", photo);
    } catch {
      // the next sync tries again
    }
  }

  /** A live photo event. */
  apply(type, photo) {
    if (!this.loaded) return;
    if (type === "photo.deleted" || !this.matches(photo)) {
      this.drop(photo.id);
      return;
    }
    const oldest = this.photos[this.photos.length - 1];
    if (!this.tiles.has(photo.id) && !this.done && oldest && newerFirst(photo, oldest) > 0) return; // comes with a later page
    const isNew = !this.tiles.has(photo.id);
    this.place(photo);
    if (isNew && type === "photo.created") announce(t("gallery.arrived"));
  }

  drop(id) {
    this.tiles.get(id)?.remove();
    this.tiles.delete(id);
    this.byId.delete(id);
    this.photos = this.photos.filter((p) => p.id !== id);
  }

  /** Insert or refresh one photo's tile at its place (newest first). */
  place(photo) {
    const old = this.byId.get(photo.id);
    if (old && (photo.updated || "") < (old.updated || "")) return;
    let index;
    if (old) {
      index = this.photos.indexOf(old);
      this.photos[index] = photo;
    } else {
      index = this.insertionPoint(photo);
      this.photos.splice(index, 0, photo);
    }
    this.byId.set(photo.id, photo);
    const tile = this.tile(photo);
    const previous = this.tiles.get(photo.id);
    if (previous) previous.replaceWith(tile);
    else {
      const next = this.photos[index + 1];
      this.grid.insertBefore(tile, (next && this.tiles.get(next.id)) || null);
    }
    this.tiles.set(photo.id, tile);
  }

  /** Where `photo` goes in the sorted list (binary search; pages arrive at the end). */
  insertionPoint(photo) {
    let low = 0;
    let high = this.photos.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (newerFirst(this.photos[middle], photo) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  jobTitle(id) {
    return this.app.jobs.find((j) => j.id === id)?.title ?? "";
  }

  tile(photo) {
    const caption = photo.caption || "";
    const picture = photo.thumb
      ? h("img", { class: "thumb", alt: caption || t("photo.alt"), width: 240, height: 180, "data-id": photo.id })
      : h("span", { class: `thumb-wait status-${photo.status}`, text: t(`photo.status.${photo.status}`) });
    const li = h(
      "li",
      { class: "tile", "data-photo": photo.id, "data-status": photo.status },
      h("button", { type: "button", class: "thumb-button", "aria-label": t("photo.open", { caption: caption || t("photo.alt") }), onclick: () => openViewer(this.photos, this.photos.indexOf(this.byId.get(photo.id)), this.app) }, picture),
      caption && h("span", { class: "caption", text: caption }),
      h("span", { class: "muted meta", text: [this.jobTitle(photo.job), formatDateTime(parseDate(photo.created))].filter(Boolean).join(" · ") }),
    );
    if (photo.thumb) this.thumbs.observe(picture);
    return li;
  }

  /** Every tile again (the language changed: dates and labels). */
  redrawMeta() {
    for (const photo of this.photos) {
      const tile = this.tile(photo);
      this.tiles.get(photo.id)?.replaceWith(tile);
      this.tiles.set(photo.id, tile);
    }
  }

  async showThumbs(entries) {
    const visible = entries.filter((e) => e.isIntersecting).map((e) => e.target);
    if (!visible.length) return;
    const token = await currentFileToken().catch(() => "");
    for (const img of visible) {
      this.thumbs.unobserve(img);
      const photo = this.byId.get(img.dataset.id);
      if (!photo) continue;
      img.addEventListener("error", () => this.retryThumb(img, photo), { once: true });
      img.src = fileUrl(photo, "thumb", token);
    }
  }

  async retryThumb(img, photo) {
    const token = await currentFileToken(true).catch(() => "");
    img.src = fileUrl(photo, "thumb", token);
  }
}
