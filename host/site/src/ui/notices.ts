// The bar under the header listing problems with the data (missing or damaged files).

import { onNotices } from "../data/notices";
import { el } from "./dom";

export function noticeBar(): HTMLElement {
  const bar = el("div", { class: "notices", role: "alert", "aria-live": "polite" });
  onNotices((notices) => {
    bar.replaceChildren(...notices.map((n) => el("p", { class: "notice", "data-key": n.key, text: n.message })));
    bar.hidden = notices.length === 0;
  });
  return bar;
}
