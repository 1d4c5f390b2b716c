// Hash routes: #/ (start), #/feature/ID, #/map[?feature=ID], #/fires[?feature=ID&text=…], #/generate,
// #/label[?feature=ID] (labelling, under `dictlab serve` only), #/labels (every labeler's labels and scores).

export interface Route {
  name: "home" | "feature" | "map" | "fires" | "generate" | "label" | "labels" | "unknown";
  arg: string; // the feature id text for "feature"
  params: URLSearchParams;
  path: string;
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  let path = q >= 0 ? raw.slice(0, q) : raw;
  try {
    path = decodeURIComponent(path);
  } catch {
    // Keep it as typed.
  }
  path = path.replace(/\/+$/, "");
  const params = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : "");
  const parts = path.split("/").filter((p) => p !== "");
  const route = (name: Route["name"], arg = ""): Route => ({ name, arg, params, path });
  if (parts.length === 0) return route("home");
  if (parts[0] === "feature" && parts.length === 2) return route("feature", parts[1].trim());
  if (parts[0] === "map" && parts.length === 1) return route("map");
  if (parts[0] === "fires" && parts.length === 1) return route("fires");
  if (parts[0] === "generate" && parts.length === 1) return route("generate");
  if (parts[0] === "label" && parts.length === 1) return route("label");
  if (parts[0] === "labels" && parts.length === 1) return route("labels");
  return route("unknown");
}
