import { afterEach, describe, expect, test } from 'vitest';
import { parseRoute, routePath, takeTokenFromUrl } from './router';

describe('marketplace routes', () => {
  afterEach(() => window.history.replaceState(null, '', '/'));

  test.each([
    ['/marketplace', { view: 'catalog' }],
    ['/marketplace/', { view: 'catalog' }],
    ['/marketplace/listing/crm', { view: 'listing', id: 'crm' }],
    ['/marketplace/listing/a%20b/', { view: 'listing', id: 'a b' }],
    ['/marketplace/installed', { view: 'installed' }],
    ['/marketplace/unknown', { view: 'catalog' }],
  ])('%s', (path, route) => {
    expect(parseRoute(path)).toEqual(route);
  });

  test('routePath is the inverse for listing pages', () => {
    expect(routePath({ view: 'listing', id: 'a b' })).toBe('/marketplace/listing/a%20b');
  });

  test('the signed-link token is taken once and removed from the address, other parameters stay', () => {
    window.history.replaceState(null, '', '/marketplace/listing/crm?jwt=a.b.c&origin=http%3A%2F%2Flocalhost%3A3000');
    expect(takeTokenFromUrl()).toBe('a.b.c');
    expect(window.location.pathname + window.location.search).toBe('/marketplace/listing/crm?origin=http%3A%2F%2Flocalhost%3A3000');
    expect(takeTokenFromUrl()).toBeNull();
  });
});
