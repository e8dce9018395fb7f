import type { ReactNode } from 'react';
import { ApiError } from './api';

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: string; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="page-subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

/** A page's (or a list's) message when there is nothing to show. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <section className="empty-state" role="status">
      <h2>{title}</h2>
      {children && <div className="empty-state-body">{children}</div>}
    </section>
  );
}

/** A list that failed to load: the sign-in hint when the admin login is missing, else the error and a retry. */
export function LoadError({ error, onRetry, what }: { error: Error; onRetry: () => void; what: string }) {
  if (error instanceof ApiError && error.unauthorized) {
    return (
      <div className="notice notice-warn" role="alert">
        <strong>You are not signed in to this console.</strong>
        <p>
          Open the login URL printed by <code>fusebox serve</code> (the line starting with <code>Console:</code>).
        </p>
      </div>
    );
  }
  return (
    <div className="notice notice-error" role="alert">
      <strong>The {what} could not be loaded.</strong>
      <p>
        {error.message}
        {error instanceof ApiError && error.code ? <span className="error-code"> ({error.code})</span> : null}
      </p>
      <button type="button" className="button" onClick={onRetry}>Try again</button>
    </div>
  );
}
