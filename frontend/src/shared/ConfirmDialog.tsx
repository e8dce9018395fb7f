import { useEffect, useId, useRef } from 'react';
import './dialog.css';

/**
 * A modal confirmation dialog; focus goes to the safe choice, Escape closes. Its buttons are the
 * page's .fbx-button (the importer iframe's styles); the dialog's own styles are in dialog.css.
 */
export function ConfirmDialog({
  title,
  body,
  confirm,
  dismiss,
  onConfirm,
  onDismiss,
}: {
  title: string;
  body: string;
  confirm: string;
  dismiss: string;
  onConfirm: () => void;
  onDismiss: () => void;
}) {
  const id = useId();
  const safe = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    safe.current?.focus();
  }, []);
  return (
    <div className="fbx-dialog-backdrop" onKeyDown={(e) => e.key === 'Escape' && onDismiss()}>
      <div className="fbx-dialog" role="alertdialog" aria-modal="true" aria-labelledby={`${id}-t`} aria-describedby={`${id}-b`}>
        <h2 id={`${id}-t`}>{title}</h2>
        <p id={`${id}-b`}>{body}</p>
        <div className="fbx-dialog-actions">
          <button type="button" className="fbx-button" ref={safe} onClick={onDismiss}>
            {dismiss}
          </button>
          <button type="button" className="fbx-button danger" onClick={onConfirm}>
            {confirm}
          </button>
        </div>
      </div>
    </div>
  );
}
