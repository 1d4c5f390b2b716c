// The Generate page: sample from the model, optionally with features pinned.

import type { Context } from "./context";
import { el } from "./dom";
import { generator } from "./generate";

const SOURCE_WORDS = { server: " that dictlab serve runs", page: " running in this page", none: "" };

export function showGenerate(ctx: Context, view: HTMLElement): void {
  view.replaceChildren(
    el("h2", { text: "Generate" }),
    el("p", {
      class: "muted",
      text: `Samples from the model${SOURCE_WORDS[ctx.model.source ?? "none"]}. Pin features as FEATURE=VALUE (value defaults to the feature's max activation) to see a pinned sample beside a normal one with the same seed.`,
    }),
    generator(ctx),
  );
}
