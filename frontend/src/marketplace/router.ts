import { useEffect, useState } from 'react';

export type Route = { view: 'catalog' } | { view: 'listing'; id: string } | { view: 'installed' };

/** /marketplace, /marketplace/, /marketplace/listing/{id}, /marketplace/installed */
export function parseRoute(pathname: string): Route {
  const m = /^\/marketplace\/listing\/([^/]+)\/?$/.exec(pathname);
  if (m) return { view: 'listing', id: decodeURIComponent(m[1]) };
  if (/^\/marketplace\/installed\/?$/.test(pathname)) return { view: 'installed' };
  return { view: 'catalog' };
}

export function routePath(r: Route): string {
  switch (r.view) {
    case 'listing':
      return `/marketplace/listing/${encodeURIComponent(r.id)}`;
    case 'installed':
      return '/marketplace/installed';
    default:
      return '/marketplace';
  }
}

/** The signed-link token, read once and removed from the address bar (it must not linger in history). */
export function takeTokenFromUrl(): string | null {
  const url = new URL(window.location.href);
  const jwt = url.searchParams.get('jwt');
  if (jwt === null) return null;
  url.searchParams.delete('jwt');
  window.history.replaceState(window.history.state, '', url.pathname + (url.search ? url.search : '') + url.hash);
  return jwt;
}

export function useRoute(): [Route, (r: Route) => void] {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const go = (r: Route) => {
    const path = routePath(r);
    if (path !== window.location.pathname) window.history.pushState(null, '', path);
    setRoute(r);
    window.scrollTo(0, 0);
  };
  return [route, go];
}
