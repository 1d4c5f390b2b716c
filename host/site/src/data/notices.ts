// Problems with the data (a missing or damaged file), kept once per key and shown by the page.

export interface Notice {
  key: string; // one notice per key, e.g. the file's path
  message: string;
}

type Listener = (notices: Notice[]) => void;

const notices = new Map<string, Notice>();
const listeners: Listener[] = [];

export function report(key: string, message: string): void {
  if (notices.get(key)?.message === message) return;
  notices.set(key, { key, message });
  for (const listener of listeners) listener([...notices.values()]);
}

export function onNotices(listener: Listener): void {
  listeners.push(listener);
  listener([...notices.values()]);
}
