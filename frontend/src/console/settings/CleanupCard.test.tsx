import { describe, expect, it } from 'vitest';
import { ageText, ageValue } from './CleanupCard';

describe('clean-up age', () => {
  it('shows whole days and sends Go durations', () => {
    expect(ageText('168h0m0s')).toBe('7d');
    expect(ageText('36h0m0s')).toBe('36h');
    expect(ageText('1h30m0s')).toBe('1h30m0s');
    expect(ageValue('7d')).toBe('168h');
    expect(ageValue(' 36h ')).toBe('36h');
  });
});
