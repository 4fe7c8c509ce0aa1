/** A tiny history router under /console/: the few screens need no library. */
import { useEffect, useState, type MouseEvent } from 'react';

export const BASE = '/console/';

const listeners = new Set<() => void>();
const current = () => location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length).replace(/\/$/, '') : '';

export function navigate(path: string) {
  history.pushState(null, '', BASE + path);
  listeners.forEach((listener) => listener());
  window.scrollTo(0, 0);
}

export function useRoute(): { path: string; parts: string[]; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const update = () => setTick((n) => n + 1);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  const path = current();
  return { path, parts: path.split('/').filter(Boolean).map(decodeURIComponent), search: new URLSearchParams(location.search) };
}

/** An <a> that navigates inside the app (a real link: middle-click and copy still work). */
export function linkProps(path: string) {
  return {
    href: BASE + path,
    onClick: (event: MouseEvent) => {
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      navigate(path);
    },
  };
}
