import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import './base.css';

/** Mounts a simple page into #root (used by the entries whose features land later). */
export function mountStandalone(node: ReactNode) {
  const root = document.getElementById('root');
  if (!root) throw new Error('page: #root element missing from the HTML entry');
  createRoot(root).render(<StrictMode>{node}</StrictMode>);
}

export function StandalonePage({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="standalone">
      <h1>{title}</h1>
      {children}
    </main>
  );
}
