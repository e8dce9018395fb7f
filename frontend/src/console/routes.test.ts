import { describe, expect, it } from 'vitest';
import { matchRoute, routes } from './routes';

describe('matchRoute', () => {
  it.each([
    ['', 'dashboard', ''],
    ['#', 'dashboard', ''],
    ['#/', 'dashboard', ''],
    ['#/importers', 'importers', ''],
    ['#/imports/42', 'imports', '/42'],
    ['#/keys?tab=sessions', 'keys', ''],
    ['#relay', 'relay', ''],
    ['#/settings', 'settings', ''],
  ])('%s -> %s', (hash, key, rest) => {
    expect(matchRoute(hash)).toMatchObject({ route: { key }, rest });
  });

  it('does not match prefixes of other words or unknown pages', () => {
    expect(matchRoute('#/importersx')).toBeNull();
    expect(matchRoute('#/nope')).toBeNull();
  });

  it('has the navigation the console promises', () => {
    expect(routes.map((r) => r.label)).toEqual([
      'Dashboard', 'Importers', 'Imports', 'Keys & Sessions', 'Marketplace', 'Relay', 'Settings',
    ]);
  });
});
