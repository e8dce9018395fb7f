import { useCallback, useEffect, useRef } from 'react';
import { askConfirm } from '../shared/askConfirm';

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
    const onHashChange = (e: HashChangeEvent) => {
      if (!state.current.dirty || state.current.leaving) return;
      // Runs first (capture, registered on window): the router never hears of this change.
      e.stopImmediatePropagation();
      const target = e.newURL;
      history.replaceState(history.state, '', e.oldURL);
      void ask().then((leave) => {
        if (!leave) return;
        state.current.leaving = true;
        window.location.href = target;
      });
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
    window.addEventListener('hashchange', onHashChange, true);
    document.addEventListener('click', onClick, true);
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      window.removeEventListener('hashchange', onHashChange, true);
      document.removeEventListener('click', onClick, true);
    };
  }, [what]);

  return useCallback(() => {
    state.current.dirty = false;
  }, []);
}
