// The committed API types are what `npm run api-types` makes from the server's OpenAPI documents
// today: a document changed without regenerating (or a generated file edited by hand) fails here.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generate, outputs } from '../../../api-types.mjs';

describe('generated API types', () => {
  for (const o of outputs) {
    it(`${o.out.split('/src/')[1]} matches backend/httpapi/${o.name}`, async () => {
      const committed = await readFile(o.out, 'utf8');
      const fresh = await generate(o);
      expect(committed === fresh, `src/${o.out.split('/src/')[1]} is stale: run \`npm run api-types\` in frontend/`).toBe(true);
    });
  }
});
