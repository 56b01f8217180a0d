// Korean by default, English by browser language or the switch. Every string shown comes from
// one catalogue per language (i18n/ko.js, i18n/en.js); dates and numbers through Intl.

export const LANGUAGES = ["ko", "en"];
const KEY = "fieldsync.lang";

let lang = "ko";
let catalogue = {};
let formats = {}; // Intl objects of the current language, made on first use

const FORMATS = {
  dateTime: () => new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }),
  date: () => new Intl.DateTimeFormat(lang, { dateStyle: "medium" }),
  time: () => new Intl.DateTimeFormat(lang, { timeStyle: "short" }),
  number: () => new Intl.NumberFormat(lang),
  relative: () => new Intl.RelativeTimeFormat(lang, { numeric: "auto" }),
  plural: () => new Intl.PluralRules(lang),
};

function format(name) {
  formats[name] ??= FORMATS[name]();
  return formats[name];
}

/** The language chosen with the switch on this device (saved by `useLanguage`), or null. */
export function savedLanguage() {
  return localStorage.getItem(KEY);
}

/** The language to use: the saved choice, else the first of the browser's we speak, else ko. */
export function pickLanguage(saved = savedLanguage(), preferred = navigator.languages) {
  if (LANGUAGES.includes(saved)) return saved;
  for (const tag of preferred || []) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "ko";
}

/** Load a catalogue and make it current. */
export async function useLanguage(next, { save = false } = {}) {
  lang = LANGUAGES.includes(next) ? next : "ko";
  catalogue = (await import(`./i18n/${lang}.js`)).default;
  formats = {};
  document.documentElement.lang = lang;
  if (save) localStorage.setItem(KEY, lang);
  return lang;
}

export function language() {
  return lang;
}

/** The string `key` with `{name}` placeholders filled (numbers formatted for the language). */
export function t(key, vars = {}) {
  let text = catalogue[key];
  if (text === undefined) return key;
  if (typeof text === "object") {
    text = text[format("plural").select(Number(vars.count ?? 0))] ?? text.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    const value = vars[name];
    if (value === undefined) return whole;
    return typeof value === "number" ? format("number").format(value) : String(value);
  });
}

export function formatDateTime(date) {
  return date ? format("dateTime").format(date) : "";
}

export function formatDate(date) {
  return date ? format("date").format(date) : "";
}

export function formatTime(date) {
  return date ? format("time").format(date) : "";
}

export function formatNumber(value) {
  return format("number").format(value);
}

/** "3 minutes ago" / "3분 전". */
export function formatRelative(date, now = Date.now()) {
  const seconds = Math.round((date.getTime() - now) / 1000);
  const units = [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format("relative").format(Math.round(seconds / size), unit);
  }
  return format("relative").format(seconds, "second");
}

/** A byte count as "1.2 MB". */
export function formatBytes(bytes) {
  const units = ["byte", "kilobyte", "megabyte", "gigabyte"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(lang, {
    style: "unit",
    unit: units[unit],
    unitDisplay: "short",
    maximumFractionDigits: unit ? 1 : 0,
  }).format(value);
}
