// Where a dictionary sits in the page's model: which of the transformer's MLP
// hooks it reads and writes (DATA.md). An SAE reads, and pins, the MLP's
// activations after the nonlinearity (blocks.0.mlp.hook_post). A transcoder
// reads the MLP's input (blocks.0.ln2.hook_normalized) and a pin adds to the
// MLP's output (blocks.0.hook_mlp_out) what the change of its code decodes
// to, as the C++ pin_feature does (sdk/include/dictlab/dictionary.h).

import type { Pin, Sae, SaeConfig } from "./sae";
import type { ActivationHook, MlpHooks, TransformerConfig } from "./transformer";

/** Changes what the dictionary writes (`written`) given what it reads (`read`) at one position. */
type DictionaryEdit = (read: Float32Array, written: Float32Array, position: number) => void;

interface Placement {
  /** The model's widths where the dictionary reads and writes. */
  widths(model: TransformerConfig): { read: number; written: number };
  /** Hooks that call `read` with what the dictionary reads at each position. */
  reader(read: ActivationHook): MlpHooks;
  /** Hooks that run `edit` where the dictionary writes, with what it read at the same position. */
  editor(edit: DictionaryEdit): MlpHooks;
}

const PLACEMENTS: Record<SaeConfig["kind"], Placement> = {
  sae: {
    widths: (model) => ({ read: model.d_mlp, written: model.d_mlp }),
    reader: (read) => ({ post: read }),
    // Sae.pin reads all its codes before it writes.
    editor: (edit) => ({ post: (x, position) => edit(x, x, position) }),
  },
  transcoder: {
    widths: (model) => ({ read: model.d_model, written: model.d_model }),
    reader: (read) => ({ input: read }),
    editor: (edit) => {
      // The model runs a position's input hook, then its output hook.
      let input = new Float32Array(0);
      return {
        input: (x) => {
          if (input.length !== x.length) input = new Float32Array(x.length);
          input.set(x);
        },
        output: (y, position) => edit(input, y, position),
      };
    },
  },
};

/** Throws unless `sae` reads and writes activations of the model's widths where it sits. */
export function checkFits(sae: Sae, model: TransformerConfig): void {
  const { kind, d_in, d_out } = sae.config;
  const { read, written } = PLACEMENTS[kind].widths(model);
  if (d_in !== read || d_out !== written)
    throw new Error(
      `the ${kind === "sae" ? "SAE" : "transcoder"} reads ${d_in} and writes ${d_out} activations, ` +
        `but the model has ${read} and ${written} where it sits`,
    );
}

/** Hooks that hand each position's nonzero codes, highest first and at most `topN`, to `onFeatures`. */
export function featureHooks(
  sae: Sae,
  onFeatures: (features: Array<[number, number]>, position: number) => void,
  topN = Infinity,
): MlpHooks {
  return PLACEMENTS[sae.config.kind].reader((x, position) => onFeatures(sae.activeFeatures(x, topN), position));
}

/** Hooks that pin `pins` at every position (null when there are none); a feature pinned twice keeps its last value. */
export function pinHooks(sae: Sae, pins: readonly Pin[]): MlpHooks | null {
  if (pins.length === 0) return null;
  const last = new Map<number, number>();
  for (const p of pins) last.set(p.feature, p.value);
  const kept = [...last].map(([feature, value]) => ({ feature, value }));
  return PLACEMENTS[sae.config.kind].editor((read, written) => sae.pin(read, kept, written));
}
