import { useCallback, useEffect, useRef } from 'react';
import { askConfirm } from '../shared/askConfirm';

// Address changes (a button that sets the hash, the back button, a typed address) are caught by one
// hashchange listener added when this module loads: listeners on window run in the order they were
// added, so it must come before every page's router listener (useHashRoute adds its own when a page
// mounts, before the editor inside it does). It keeps the address and asks; Leave goes on.
const guards = new Set<{ state: { dirty: boolean; leaving: boolean }; ask: () => Promise<boolean> }>();
if (typeof window !== 'undefined') {
  window.addEventListener(
    'hashchange',
    (e) => {
      const g = [...guards].find((x) => x.state.dirty && !x.state.leaving);
      if (!g) return;
      e.stopImmediatePropagation(); // the router never hears of this change
      const target = e.newURL;
      history.replaceState(history.state, '', e.oldURL);
      void g.ask().then((leave) => {
        if (!leave) return;
        g.state.leaving = true;
        window.location.href = target;
      });
    },
    true,
  );
}

/**
 * Every console editor uses this (importers, plans, settings, destinations, listings).
 * While `dirty`, leaving asks first: closing or reloading the tab (the browser's own prompt), and
 * moving to another console address (the styled dialog; the address stays until the user says
 * Leave). Console navigation is by hash, so a hashchange is caught before the router sees it.
 *
 * Returns allowLeave(): call it before the editor moves on by itself with the edits dealt with (after a
 * save or a delete), so that move does not ask; the next render's `dirty` takes over again.
 */
export function useUnsavedGuard(dirty: boolean, what = 'this editor'): () => void {
  const state = useRef({ dirty, leaving: false });
  state.current.dirty = dirty;

  useEffect(() => {
    const ask = () =>
      askConfirm({
        title: 'Leave without saving?',
        body: `Your changes to ${what} are not saved. They are lost if you leave.`,
        confirm: 'Leave',
        dismiss: 'Stay',
      });
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (!state.current.dirty) return;
      e.preventDefault();
      e.returnValue = '';
    };
    // Links inside the console (the sidebar, tabs, "← Destinations"): asked before the address changes.
    const onClick = (e: MouseEvent) => {
      if (!state.current.dirty || state.current.leaving || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
      const a = e.target instanceof Element ? e.target.closest('a[href^="#"]') : null;
      const href = a?.getAttribute('href');
      if (!href || href === window.location.hash) return;
      e.preventDefault();
      void ask().then((leave) => {
        if (!leave) return;
        state.current.leaving = true;
        window.location.hash = href;
      });
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    const guard = { state: state.current, ask };
    guards.add(guard);
    document.addEventListener('click', onClick, true);
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      guards.delete(guard);
      document.removeEventListener('click', onClick, true);
    };
  }, [what]);

  return useCallback(() => {
    state.current.dirty = false;
  }, []);
}
