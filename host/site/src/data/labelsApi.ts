// The labelling API of `dictlab serve` (DATA.md, "Labelling API"): human labels saved the moment
// they are made, in RUN_DIR/labels.sqlite. A static copy of the site has no API: api/status
// answers 404 (or the server's HTML page), and `labelApi()` resolves to null.

export interface ApiStatus {
  labelling: true;
  analysis_stage: string | null;
  n_features: number | null;
}

/** A human label as the API returns it. */
export interface HumanLabel {
  feature: number;
  labeler: string; // "human"
  author: string;
  text: string;
  rubric: number | null; // the paper's confidence rubric, 0 (no pattern) to 4 (clear, specific)
  created_at: string; // ISO 8601, UTC
}

export const RUBRIC: ReadonlyArray<{ value: number; name: string; help: string }> = [
  { value: 0, name: "no pattern", help: "0: no pattern I can name" },
  { value: 1, name: "vague", help: "1: a vague or mixed pattern, many exceptions" },
  { value: 2, name: "partial", help: "2: a pattern, with clear exceptions" },
  { value: 3, name: "clear", help: "3: a clear pattern, few exceptions" },
  { value: 4, name: "clear, specific", help: "4: clear and specific, no exceptions seen" },
];

/** What went wrong talking to the API; the message says which call and why. */
export class ApiError extends Error {
  constructor(
    readonly status: number, // HTTP status, 0 when the server could not be reached
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Absolute URL of an API path (relative to the page, like data/). */
export function apiUrl(path: string): string {
  return new URL(`api/${path}`, document.baseURI).href;
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The answer's text (and its JSON, if it is JSON); an ApiError naming the request when it failed. */
async function answer(path: string, init: RequestInit = {}): Promise<{ name: string; status: number; text: string; body: unknown }> {
  const method = init.method ?? "GET";
  const name = `${method} api/${path.split("?")[0]}`;
  let response: Response;
  try {
    response = await fetch(apiUrl(path), { cache: "no-store", ...init });
  } catch (e) {
    throw new ApiError(0, `${name}: the server could not be reached (${describeError(e)}); is dictlab serve still running?`);
  }
  let text = "";
  try {
    text = await response.text();
  } catch (e) {
    throw new ApiError(response.status, `${name}: the answer was cut off (${describeError(e)})`);
  }
  let body: unknown = undefined;
  try {
    body = text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const said =
      body && typeof body === "object" && typeof (body as { error?: unknown }).error === "string"
        ? (body as { error: string }).error
        : text.trim().slice(0, 200) || response.statusText;
    throw new ApiError(response.status, `${name}: ${said || "failed"} (HTTP ${response.status})`);
  }
  return { name, status: response.status, text, body };
}

async function request(path: string, init: RequestInit = {}): Promise<unknown> {
  const { name, status, body } = await answer(path, init);
  if (body === undefined) throw new ApiError(status, `${name}: the answer is not JSON`);
  return body;
}

function asLabel(raw: unknown, where: string): HumanLabel {
  const r = (raw ?? {}) as Record<string, unknown>;
  if (typeof r.feature !== "number" || typeof r.author !== "string" || typeof r.text !== "string") {
    throw new ApiError(200, `${where}: a label without feature, author or text`);
  }
  return {
    feature: r.feature,
    labeler: typeof r.labeler === "string" ? r.labeler : "human",
    author: r.author,
    text: r.text,
    rubric: typeof r.rubric === "number" && Number.isFinite(r.rubric) ? Math.round(r.rubric) : null,
    created_at: typeof r.created_at === "string" ? r.created_at : "",
  };
}

function asLabels(raw: unknown, where: string): HumanLabel[] {
  const labels = (raw as { labels?: unknown })?.labels;
  if (!Array.isArray(labels)) throw new ApiError(200, `${where}: no "labels" list in the answer`);
  return labels.map((l) => asLabel(l, where));
}

let probe: Promise<ApiStatus | null> | null = null;

/** The API's status, or null when this server has none (asked once per page load). */
export function labelApi(): Promise<ApiStatus | null> {
  probe ??= (async () => {
    let response: Response;
    try {
      response = await fetch(apiUrl("status"), { cache: "no-store" });
    } catch {
      return null;
    }
    if (!response.ok) return null;
    // Some static servers answer every unknown path with the site's index.html.
    if ((response.headers.get("content-type") ?? "").startsWith("text/html")) return null;
    try {
      const body = (await response.json()) as Record<string, unknown>;
      if (body?.labelling !== true) return null;
      return {
        labelling: true,
        analysis_stage: typeof body.analysis_stage === "string" ? body.analysis_stage : null,
        n_features: typeof body.n_features === "number" ? body.n_features : null,
      };
    } catch {
      return null;
    }
  })();
  return probe;
}

/** Features this author has not labelled yet, a sample fixed by `seed`. */
export async function fetchQueue(author: string, count: number, seed: number): Promise<number[]> {
  const q = new URLSearchParams({ author, count: String(count), seed: String(seed) });
  const body = await request(`queue?${q}`);
  const features = (body as { features?: unknown })?.features;
  if (!Array.isArray(features) || !features.every((f) => Number.isSafeInteger(f) && f >= 0)) {
    throw new ApiError(200, `GET api/queue: no "features" list of ids in the answer`);
  }
  return features as number[];
}

/** Every labeller's label of a feature. */
export async function labelsOfFeature(feature: number): Promise<HumanLabel[]> {
  return asLabels(await request(`labels?feature=${feature}`), "GET api/labels");
}

/** One author's labels. */
export async function labelsByAuthor(author: string): Promise<HumanLabel[]> {
  return asLabels(await request(`labels?${new URLSearchParams({ author })}`), "GET api/labels");
}

/** Saves (or replaces) this author's label of a feature; resolves to the label as stored. */
export async function saveLabel(label: { feature: number; author: string; text: string; rubric: number | null }): Promise<HumanLabel> {
  const body = await request("labels", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(label),
  });
  return asLabel((body as { label?: unknown })?.label, "POST api/labels");
}

/** Every person's label of this site's features (the JSONL export, one label a line). */
export async function allLabels(): Promise<HumanLabel[]> {
  const { name, text } = await answer("labels/export?format=jsonl");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        throw new ApiError(200, `${name}: line ${i + 1} is not JSON`);
      }
      return asLabel(raw, name);
    });
}

export function exportUrl(format: "csv" | "jsonl"): string {
  return apiUrl(`labels/export?format=${format}`);
}

/** Imports a CSV or JSONL file of labels (the export's columns); resolves to how many. */
export async function importLabels(text: string, format: "csv" | "jsonl"): Promise<number> {
  const body = await request("labels/import", {
    method: "POST",
    headers: { "Content-Type": format === "csv" ? "text/csv" : "application/x-ndjson" },
    body: text,
  });
  const n = (body as { imported?: unknown })?.imported;
  if (typeof n !== "number") throw new ApiError(200, `POST api/labels/import: no "imported" count in the answer`);
  return n;
}

/** CSV or JSONL, from the file name or else the first character. */
export function importFormat(name: string, text: string): "csv" | "jsonl" {
  if (/\.(jsonl|ndjson|json)$/i.test(name)) return "jsonl";
  if (/\.csv$/i.test(name)) return "csv";
  return text.trimStart().startsWith("{") ? "jsonl" : "csv";
}
