/**
 * @fusebox/importer/react: the importer as a React component (React 18 or later).
 *
 *     {open && (
 *       <FuseboxImporter serverUrl="http://127.0.0.1:8787" importerSlug="contacts"
 *         getSessionToken={getToken} onComplete={(r) => save(r)} onClose={() => setOpen(false)} />
 *     )}
 *
 * It opens the importer when it mounts, closes it when it unmounts, and opens it again (a new
 * session) when a prop other than a callback changes.
 */
import { createElement, useEffect, useRef, type CSSProperties, type ReactElement } from 'react';
import { openImporter, reopenKey, type FuseboxImporterProps as BaseProps, type ImporterHandle } from './component';

export type { CompletePayload, CustomStyles, ImportCounts, Locale } from '../../../src/sdk/importer';
export { ImporterError } from '../../../src/sdk/importer';
export type { SessionTokenRequest } from './component';

export interface FuseboxImporterProps extends BaseProps {
  /** Class of the element the inline importer fills. */
  className?: string;
  /** Style of the element the inline importer fills (give it a height). */
  style?: CSSProperties;
}

export function FuseboxImporter(props: FuseboxImporterProps): ReactElement | null {
  const element = useRef<HTMLDivElement | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const key = reopenKey(props);

  useEffect(() => {
    // Opened a microtask later, so that StrictMode's mount-unmount-mount (development) opens one
    // session, not two.
    let handle: ImporterHandle | null = null;
    let live = true;
    void Promise.resolve().then(() => {
      if (live) handle = openImporter(() => latest.current, element.current);
    });
    return () => {
      live = false;
      handle?.close();
    };
  }, [key]);

  if (!props.inline) return null;
  return createElement('div', { ref: element, className: props.className, style: props.style, 'data-fusebox-importer': '' });
}

export default FuseboxImporter;
