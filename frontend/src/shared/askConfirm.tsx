import { createRoot } from 'react-dom/client';
import { ConfirmDialog } from './ConfirmDialog';

export interface ConfirmOptions {
  title: string;
  body: string;
  /** The destructive choice, e.g. "Delete". */
  confirm: string;
  /** The safe choice (focused first); default "Cancel". */
  dismiss?: string;
}

/**
 * Asks with the one styled ConfirmDialog (never the browser's native confirm()) and resolves true
 * when the user takes the destructive choice. For handlers that decide before they act:
 * `if (!(await askConfirm({...}))) return;`.
 */
export function askConfirm(o: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const host = document.createElement('div');
    host.className = 'fbx-dialog-host';
    document.body.appendChild(host);
    const root = createRoot(host);
    const back = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const done = (v: boolean) => {
      root.unmount();
      host.remove();
      back?.focus();
      resolve(v);
    };
    root.render(
      <ConfirmDialog title={o.title} body={o.body} confirm={o.confirm} dismiss={o.dismiss ?? 'Cancel'} onConfirm={() => done(true)} onDismiss={() => done(false)} />,
    );
  });
}
