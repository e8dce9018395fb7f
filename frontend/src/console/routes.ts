import type { ComponentType } from 'react';
import Dashboard from './dashboard/Dashboard';
import Importers from './importers/Importers';
import Imports from './imports/Imports';
import Keys from './keys/Keys';
import Marketplace from './marketplace/Marketplace';
import Relay from './relay/Relay';
import Settings from './settings/Settings';

export interface ConsoleRoute {
  /** Hash path, e.g. "/importers" for "#/importers". */
  path: string;
  /** Stable key, reported to the server with /api/admin/ready. */
  key: string;
  label: string;
  page: ComponentType;
}

export const routes: ConsoleRoute[] = [
  { path: '/', key: 'dashboard', label: 'Dashboard', page: Dashboard },
  { path: '/importers', key: 'importers', label: 'Importers', page: Importers },
  { path: '/imports', key: 'imports', label: 'Imports', page: Imports },
  { path: '/keys', key: 'keys', label: 'Keys & Sessions', page: Keys },
  { path: '/marketplace', key: 'marketplace', label: 'Marketplace', page: Marketplace },
  { path: '/relay', key: 'relay', label: 'Relay', page: Relay },
  { path: '/settings', key: 'settings', label: 'Settings', page: Settings },
];

/** "#/importers/42" -> the "/importers" route plus the rest ("/42"). Unknown paths give null. */
export function matchRoute(hash: string): { route: ConsoleRoute; rest: string } | null {
  let path = hash.replace(/^#/, '');
  if (!path.startsWith('/')) path = '/' + path;
  path = path.split('?')[0];
  if (path === '/') return { route: routes[0], rest: '' };
  for (const route of routes) {
    if (route.path === '/') continue;
    if (path === route.path || path.startsWith(route.path + '/')) {
      return { route, rest: path.slice(route.path.length) };
    }
  }
  return null;
}
