// An address the page does not know.

import { el, link, message } from "./dom";

export function showNotFound(view: HTMLElement, path: string): void {
  view.replaceChildren(
    el("h2", { text: "Not found" }),
    message("error", `There is no page “${path}” here.`),
    el("p", {}, "Back to the ", link("#/", "start"), "."),
  );
}
