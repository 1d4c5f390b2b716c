// Fetching files under data/, with errors that name the file and say what is wrong.

export type DataProblem = "missing" | "truncated" | "invalid" | "unreachable";

export class DataError extends Error {
  constructor(
    readonly file: string, // e.g. "data/search.json"
    readonly problem: DataProblem,
    detail: string,
  ) {
    super(`${file} ${describe(problem)}${detail ? ` (${detail})` : ""}`);
    this.name = "DataError";
  }
}

function describe(problem: DataProblem): string {
  switch (problem) {
    case "missing":
      return "is missing";
    case "truncated":
      return "is truncated or damaged";
    case "invalid":
      return "is not in the expected format";
    case "unreachable":
      return "could not be fetched";
  }
}

/** The path shown to people, relative to the site folder. */
export function dataPath(path: string): string {
  return `data/${path}`;
}

/** Absolute URL of a file under data/ (absolute so a Worker can use it too). */
export function dataUrl(path: string): string {
  return new URL(dataPath(path), document.baseURI).href;
}

async function get(path: string): Promise<Response> {
  const file = dataPath(path);
  let response: Response;
  try {
    response = await fetch(dataUrl(path));
  } catch (e) {
    throw new DataError(file, "unreachable", String((e as Error).message ?? e));
  }
  if (response.status === 404 || response.status === 410) {
    throw new DataError(file, "missing", `HTTP ${response.status}`);
  }
  if (!response.ok) {
    throw new DataError(file, "unreachable", `HTTP ${response.status}`);
  }
  // Some servers answer an unknown path with the site's index.html.
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("text/html")) {
    throw new DataError(file, "missing", "the server answered with an HTML page");
  }
  return response;
}

export async function fetchBytes(path: string): Promise<ArrayBuffer> {
  const response = await get(path);
  try {
    return await response.arrayBuffer();
  } catch (e) {
    throw new DataError(dataPath(path), "truncated", String((e as Error).message ?? e));
  }
}

export async function fetchJson(path: string): Promise<unknown> {
  const response = await get(path);
  let text: string;
  try {
    text = await response.text();
  } catch (e) {
    throw new DataError(dataPath(path), "truncated", String((e as Error).message ?? e));
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataError(dataPath(path), "truncated", `not valid JSON: ${(e as Error).message}`);
  }
}
