// PocketBase (the official JS SDK), the pages' config (where the hub is), dates and file URLs.

import PocketBase from "/vendor/pocketbase.es.mjs";

export const pb = new PocketBase(location.origin);
pb.autoCancellation(false);

const CONFIG_KEY = "fieldsync.config";
const FILE_TOKEN_MS = 90_000; // PocketBase file tokens live about 2-3 minutes

let config = { hubUrl: "" };
let configLoad = null;
let fileToken = { value: "", at: 0, pending: null };

/** Read /api/fieldsync/config, once a page (remembered for offline starts). */
export function loadConfig() {
  configLoad ??= fetchConfig();
  return configLoad;
}

async function fetchConfig() {
  try {
    if (!navigator.onLine) throw new Error("offline");
    const response = await fetch("/api/fieldsync/config", { cache: "no-store" });
    if (!response.ok) throw new Error(`config: ${response.status}`);
    config = await response.json();
    localStorage.setItem(CONFIG_KEY, JSON.stringify(config));
  } catch {
    config = JSON.parse(localStorage.getItem(CONFIG_KEY) || '{"hubUrl":""}');
  }
  return config;
}

/** The hub's base URL ("" in the config means this origin). */
export function hubBase() {
  return (config.hubUrl || location.origin).replace(/\/+$/, "");
}

/** The logged-in user record, or null. */
export function me() {
  return pb.authStore.isValid ? pb.authStore.record : null;
}

export function isOffice(user = me()) {
  return user?.role === "office" || user?.role === "admin";
}

/** A PocketBase date string ("2026-11-30 11:55:31.123Z") as a Date, or null. */
export function parseDate(value) {
  if (!value) return null;
  const date = new Date(String(value).replace(" ", "T"));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A file token for protected files (photos), renewed before it lapses. */
export async function currentFileToken(renew = false) {
  if (!renew && fileToken.value && Date.now() - fileToken.at < FILE_TOKEN_MS) return fileToken.value;
  fileToken.pending ??= pb.files
    .getToken()
    .then((value) => {
      fileToken = { value, at: Date.now(), pending: null };
      return value;
    })
    .finally(() => {
      fileToken.pending = null;
    });
  return fileToken.pending;
}

/** URL of a protected file of a record (field "file" or "thumb"). */
export function fileUrl(record, field, token) {
  const name = record[field];
  return name ? pb.files.getURL(record, name, { token }) : "";
}

/** The message of a PocketBase error, with its field messages. */
export function errorText(error) {
  const data = error?.response?.data ?? error?.data?.data ?? {};
  const fields = Object.entries(data)
    .filter(([, value]) => value && typeof value === "object" && value.message)
    .map(([name, value]) => `${name}: ${value.message}`);
  const message = error?.response?.message || error?.message || String(error);
  return fields.length ? `${message} (${fields.join("; ")})` : message;
}

/** Upsert `record` into `list` (by id) if it is not older than the copy there. */
export function mergeRecord(list, record) {
  const index = list.findIndex((item) => item.id === record.id);
  if (index === -1) {
    list.push(record);
    return true;
  }
  if ((record.updated || "") >= (list[index].updated || "")) {
    list[index] = record;
    return true;
  }
  return false;
}
