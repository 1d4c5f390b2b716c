// Readiness flags on <body> (data-* attributes) that tests and benchmarks wait on instead of sleeping.
//
//   data-ready="1"              the feature list has rendered for the first time (run.json and
//                               index.bin loaded, or their problem reported)
//   data-view="home|feature|map|fires|generate|..."  the route now shown
//   data-feature-ready="ID"     the feature page for ID is rendered (also when it shows an error)
//   data-feature-status="ok|error"  how that page ended
//   data-search-ready="QUERY"   the list shows the results for QUERY (or the search's error)
//   data-map-ready="N"          the map has been drawn N times (a count)
//   data-model="none|idle|loading|ready|error"  state of the in-browser model
//   data-fires-ready="N"        the Nth "what fires here" result is rendered (a count)
//   data-generated="N"          the Nth generation is shown (a count; a normal + pinned pair counts once)
//   data-label-api="yes|no"     whether the labelling API of `dictlab serve` answered api/status
//   data-labels-ready="ID"      the feature page's labels are final (live human labels merged when
//                               there is an API)
//   data-label-view="loading|off|name|feature|done|error"  what the #/label page shows
//   data-label-ready="ID|done"  the label page shows ID with its evidence and the other labels
//                               (and has fetched the next feature's shard ahead)
//   data-label-saved="N", data-label-failed="N", data-label-imported="N"  counts of saves that
//                               worked, saves that failed, and imports finished (either way)
//   data-labels-view="loading|ready|empty|error"  what the #/labels page shows
//   data-labels-rendered="N"    the #/labels table has been drawn N times (a count: first draw, sorts, filters)
//   data-labels-sort="KEY:asc|desc"  what that table is sorted by (feature, disagreement, score:COLUMN:SCORER)
//
// Performance marks "dictlab:list-ready" and "dictlab:feature-ready" are set at the same moments
// as data-ready and data-feature-ready (for the page-load benchmark).

export function setFlag(name: string, value: string | number): void {
  document.body.dataset[name] = String(value);
}

export function clearFlag(name: string): void {
  delete document.body.dataset[name];
}

/** Increments a counter flag and returns its new value. */
export function bumpFlag(name: string): number {
  const next = Number(document.body.dataset[name] ?? "0") + 1;
  setFlag(name, next);
  return next;
}

export function mark(name: string): void {
  try {
    performance.mark(`dictlab:${name}`);
  } catch {
    // Marks are a nicety.
  }
}
