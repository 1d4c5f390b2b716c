// Small DOM helpers. Text always goes in through textContent (never innerHTML), so any
// Unicode (emoji, right-to-left scripts, combining marks) is shown as it is.

type Attrs = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = String(value);
    else if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node: Node, children: Array<Child | Child[]>): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** Replaces an element's children, skipping null / false ones. */
export function fill(node: Element, ...children: Array<Child | Child[]>): void {
  node.replaceChildren();
  append(node, children);
}

const SVG = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(key, String(value));
  }
  return node;
}

export function link(href: string, text: string, attrs: Attrs = {}): HTMLAnchorElement {
  return el("a", { href, ...attrs, text });
}

export function featureHref(id: number): string {
  return `#/feature/${id}`;
}

/** A message box; `kind` picks its colour. */
export function message(kind: "info" | "warn" | "error", text: string, attrs: Attrs = {}): HTMLElement {
  return el("p", { class: `message ${kind}`, role: kind === "info" ? null : "alert", ...attrs, text });
}
