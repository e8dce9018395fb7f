import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../shared/base.css';
import './marketplace.css';
import App from './App';

const root = document.getElementById('root');
if (!root) throw new Error('marketplace: #root element missing from the HTML entry');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
