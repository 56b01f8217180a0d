// Building DOM without HTML strings: every text goes through textContent, so captions, titles
// and names (untrusted) can never become markup. No innerHTML anywhere in the pages.

const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "selected", "open"]);

/** An element: h("button", {class: "x", onclick: fn, text: "Save"}, child, "text", ...). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Append children (nodes, strings, numbers; arrays flattened; null/false skipped). */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace all children of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** A labelled form field: `input` gets `id`, and a label for it. */
export function field(id, label, input) {
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id, text: label }), input);
}

let clearing = 0;

/** Show `message` briefly in the page's polite live region (read out by screen readers). */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = message;
  clearTimeout(clearing);
  clearing = setTimeout(() => {
    region.textContent = "";
  }, 6000);
}
