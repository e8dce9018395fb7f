import { useEffect, useState } from 'react';
import { matchRoute } from './routes';

/** The current hash route; re-renders on hashchange. Pages read `rest` for sub-paths (#/imports/42 -> "/42"). */
export function useHashRoute() {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return { hash, match: matchRoute(hash) };
}

/** Navigates inside the console, e.g. navigate('/imports/42'). */
export function navigate(path: string) {
  window.location.hash = '#' + (path.startsWith('/') ? path : '/' + path);
}
