import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, humanize } from './format';

describe('format', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1536, '1.5 KB'],
    [4096 * 1024, '4.0 MB'],
    [150 * 1024 * 1024, '150 MB'],
    [-1, '—'],
  ])('formatBytes(%d) = %s', (n, want) => expect(formatBytes(n)).toBe(want));

  it.each([
    [0, '0s'],
    [59.9, '59s'],
    [61, '1m 1s'],
    [3 * 3600 + 120, '3h 2m'],
    [2 * 86400 + 5 * 3600, '2d 5h'],
    [Number.NaN, '—'],
  ])('formatDuration(%d) = %s', (n, want) => expect(formatDuration(n)).toBe(want));

  it.each([
    ['importers', 'Importers'],
    ['api_keys', 'API keys'],
    ['marketplace_jwt_logins', 'Marketplace JWT logins'],
    ['relay-routes', 'Relay routes'],
    ['', ''],
  ])('humanize(%s) = %s', (s, want) => expect(humanize(s)).toBe(want));

  it('formatCount groups thousands', () => expect(formatCount(1234567)).toBe('1,234,567'));
});
