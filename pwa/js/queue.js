// The upload queue in IndexedDB: each photo is kept as a blob until the server has it, so a
// photo taken offline, or while the app is closed mid-upload, is never lost. Keyed by the
// photo's record id (team + sha256): the same photo twice is one entry.

const DB_NAME = "fieldsync";
const STORE = "uploads";
const DONE_KEPT_MS = 24 * 60 * 60 * 1000;

let opening = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open() {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opening;
}

async function store(mode) {
  return (await open()).transaction(STORE, mode).objectStore(STORE);
}

/** Every entry, oldest first. */
export async function all() {
  const items = await request((await store("readonly")).getAll());
  return items.sort((a, b) => a.created - b.created);
}

export async function get(id) {
  return request((await store("readonly")).get(id));
}

export async function put(item) {
  await request((await store("readwrite")).put(item));
  return item;
}

/** Add a photo unless it is already queued (and not failed); returns the entry and whether it is new. */
export async function add(item) {
  const existing = await get(item.id);
  if (existing && existing.state !== "failed") return { item: existing, added: false };
  return { item: await put(item), added: true };
}

export async function remove(id) {
  await request((await store("readwrite")).delete(id));
}

/** After a restart: what was uploading is waiting again; old finished entries go. */
export async function recover(now = Date.now()) {
  for (const item of await all()) {
    if (item.state === "uploading") await put({ ...item, state: "waiting", nextAt: 0 });
    else if (item.state === "done" && now - item.finished > DONE_KEPT_MS) await remove(item.id);
  }
}
