// Sends queued photos to PocketBase, one at a time, with per-file progress (XHR upload events).
// The record id is derived from (team, sha256), so a retry after a lost response hits the
// existing record: PocketBase answers 400 "validation_not_unique" and the photo counts as done.
// Network errors, 429 and 5xx are retried with backoff (and on reconnect and app start); other
// refusals fail with the server's reason.
//
// Events: "change" (the queue changed), "progress" (detail {id, loaded, total}).

import { backoffDelay } from "./backoff.js";
import { errorText, pb } from "./api.js";
import * as queue from "./queue.js";
import { photoId, sha256Hex } from "./photo-id.js";

const DEVICE_KEY = "fieldsync.device";

export function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

/** Whether PocketBase's answer says this photo is already stored. */
export function isDuplicate(status, body) {
  if (status !== 400 || !body?.data) return false;
  return ["id", "sha256"].some((field) => body.data[field]?.code === "validation_not_unique");
}

function retryable(status) {
  return status === 0 || status === 401 || status === 408 || status === 429 || status >= 500;
}

export class Uploader extends EventTarget {
  constructor() {
    super();
    this.busy = false;
    this.again = false;
    this.timer = 0;
    this.current = null;
    window.addEventListener("online", () => this.kick({ now: true }));
  }

  changed() {
    this.dispatchEvent(new CustomEvent("change"));
  }

  /** Queue photos of `job` (Files from the camera or the gallery). */
  async add(files, { job, team, caption }) {
    const results = [];
    for (const file of files) {
      const sha256 = await sha256Hex(file);
      const id = await photoId(team, sha256);
      const { added } = await queue.add({
        id,
        team,
        job,
        caption: caption || "",
        sha256,
        blob: file,
        name: file.name || "photo.jpg",
        type: file.type || "image/jpeg",
        size: file.size,
        state: "waiting",
        error: "",
        attempts: 0,
        nextAt: 0,
        created: Date.now(),
        finished: 0,
      });
      results.push({ id, added });
    }
    this.changed();
    this.kick({ now: true });
    return results;
  }

  /** Try a failed photo again. */
  async retry(id) {
    const item = await queue.get(id);
    if (item) await queue.put({ ...item, state: "waiting", error: "", attempts: 0, nextAt: 0 });
    this.changed();
    this.kick({ now: true });
  }

  async discard(id) {
    if (this.current?.id === id) this.current.xhr.abort();
    await queue.remove(id);
    this.changed();
  }

  /** Work through the queue (does nothing while it is already working or offline). */
  async kick({ now = false } = {}) {
    if (now) clearTimeout(this.timer);
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        await this.drain();
      } while (this.again);
    } finally {
      this.busy = false;
    }
  }

  async drain() {
    while (navigator.onLine && pb.authStore.isValid) {
      const items = await queue.all();
      const due = items.find((item) => item.state === "waiting" && item.nextAt <= Date.now());
      if (!due) {
        const next = items.filter((i) => i.state === "waiting").map((i) => i.nextAt);
        if (next.length) {
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.kick(), Math.max(0, Math.min(...next) - Date.now()));
        }
        return;
      }
      await this.send(due);
    }
  }

  async send(item) {
    await queue.put({ ...item, state: "uploading", error: "" });
    this.changed();
    const { status, body } = await this.post(item);
    const latest = await queue.get(item.id);
    if (!latest) return; // discarded meanwhile
    if ((status >= 200 && status < 300) || isDuplicate(status, body)) {
      await queue.put({ ...latest, state: "done", blob: null, error: "", finished: Date.now() });
    } else if (retryable(status)) {
      if (status === 401) await pb.collection("users").authRefresh().catch(() => {});
      const attempts = latest.attempts + 1;
      await queue.put({
        ...latest,
        state: "waiting",
        attempts,
        nextAt: Date.now() + backoffDelay(attempts, { base: 2000, max: 60000 }),
        error: status ? `HTTP ${status}` : "network",
      });
    } else {
      const reason = body ? errorText({ response: body }) : `HTTP ${status}`;
      await queue.put({ ...latest, state: "failed", error: reason });
    }
    this.changed();
  }

  post(item) {
    return new Promise((resolve) => {
      const form = new FormData();
      form.append("id", item.id);
      form.append("team", item.team);
      form.append("job", item.job);
      form.append("sha256", item.sha256);
      form.append("caption", item.caption);
      form.append("device_id", deviceId());
      form.append("file", item.blob, item.name);
      const xhr = new XMLHttpRequest();
      this.current = { id: item.id, xhr };
      xhr.open("POST", pb.buildURL("/api/collections/photos/records"));
      xhr.setRequestHeader("Authorization", pb.authStore.token);
      xhr.responseType = "json";
      xhr.upload.onprogress = (event) => {
        const detail = { id: item.id, loaded: event.loaded, total: event.total || item.size };
        this.dispatchEvent(new CustomEvent("progress", { detail }));
      };
      const finish = () => {
        this.current = null;
        resolve({ status: xhr.status, body: xhr.response });
      };
      xhr.onload = finish;
      xhr.onerror = finish;
      xhr.onabort = finish;
      xhr.ontimeout = finish;
      xhr.send(form);
    });
  }
}
