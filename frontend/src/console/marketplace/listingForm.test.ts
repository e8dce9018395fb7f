import { describe, expect, it } from 'vitest';
import {
  dataURIImage,
  errorSlot,
  formatHeaders,
  listingJSON,
  moveItem,
  newListing,
  parseHeaders,
  parseListingJSON,
  parseStatuses,
  placeholderSlot,
  serverError,
  slugify,
  withKind,
} from './listingForm';

describe('the listing JSON of the Advanced tab', () => {
  it('round-trips a listing', () => {
    const l = newListing();
    const r = parseListingJSON(listingJSON(l));
    expect(r).toEqual({ ok: true, listing: l });
  });

  it('names the line and column of a syntax error', () => {
    const r = parseListingJSON('{\n  "id": "x",\n  "name": "X"\n  "workflow": []\n}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^The JSON is not valid at line 4, column 3: /);
  });

  it('refuses JSON that is not one listing object, naming what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['[]', /one listing object, not an array/],
      ['"x"', /one listing object, not a string/],
      ['{"name": 3, "workflow": []}', /"name" must be text, not a number/],
      ['{"workflow": {}}', /"workflow" must be a list \(an array\) of steps/],
      ['{"workflow": [3]}', /"workflow\[0\]" must be an object/],
      ['{"workflow": [], "config_fields": "a"}', /"config_fields" must be a list \(an array\) of fields/],
      ['{"workflow": [], "config_fields": [{"name": "a", "required": "yes"}]}', /"config_fields\[0\].required" must be true or false/],
      ['{"workflow": [{"kind": "http_request", "headers": []}]}', /"workflow\[0\].headers" must be an object/],
    ];
    for (const [text, want] of cases) {
      const r = parseListingJSON(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.error, text).toMatch(want);
    }
  });

  it('fills what the form needs when the JSON leaves it out, and keeps keys it does not know', () => {
    const r = parseListingJSON('{"id": "a", "workflow": [{"kind": "notify", "message": "hi"}], "extra": 1}');
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.listing.name).toBe('');
      expect(r.listing.config_fields).toEqual([]);
      expect((r.listing as unknown as { extra: number }).extra).toBe(1);
    }
  });
});

describe('server errors land next to their field', () => {
  it('splits the path from the message', () => {
    expect(serverError('listing.config_fields[1].name: "2x" is not a valid field name')).toEqual({
      path: 'config_fields[1].name',
      message: '"2x" is not a valid field name',
    });
    expect(serverError('listing.workflow[0]: placeholder {{config.nope}} names no config field (fields: a)')).toEqual({
      path: 'workflow[0]',
      message: 'placeholder {{config.nope}} names no config field (fields: a)',
    });
    expect(serverError('id: "a" in the body differs from "b" in the URL')?.path).toBe('id');
    expect(serverError('internal error')).toBeNull();
  });

  it('marks the field of a step that holds an unknown placeholder', () => {
    const l = { ...newListing(), workflow: [
      { kind: 'http_request', name: 'a', url: 'https://x.example/{{config.ok}}', headers: { Authorization: 'Bearer {{ config.key }}' } },
      { kind: 'notify', name: 'b', message: 'Hi {{user.nick}}' },
    ] };
    expect(placeholderSlot(l, 'workflow[0]', 'placeholder {{config.key}} names no config field (fields: ok)')).toBe('workflow[0].headers');
    expect(placeholderSlot(l, 'workflow[1]', 'unknown placeholder {{user.nick}} (want ...)')).toBe('workflow[1].message');
    expect(placeholderSlot(l, 'workflow[0]', 'something else')).toBe('workflow[0]');
  });

  it('maps a path to the slot of the form that shows it', () => {
    expect(errorSlot('name')).toBe('name');
    expect(errorSlot('workflow[2].expect_status[0]')).toBe('workflow[2].expect_status');
    expect(errorSlot('connection_fields.apikey')).toBe('connection_fields');
    expect(errorSlot('config_fields[0].options')).toBe('config_fields[0].options');
    expect(errorSlot('config_fields[0].secret')).toBe('config_fields[0]');
    expect(errorSlot('workflow[1]')).toBe('workflow[1]');
    expect(errorSlot('nonsense')).toBe('');
  });
});

describe('form helpers', () => {
  it('moves rows', () => {
    expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveItem(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'c', 'b']);
    expect(moveItem(['a', 'b'], 1, 2)).toEqual(['a', 'b']);
  });

  it('keeps only the fields the new step kind uses', () => {
    const http = { kind: 'http_request', name: 'Check', method: 'POST', url: 'https://x.example', headers: { A: 'b' }, body: { a: 1 }, expect_status: [200], timeout: '5s' };
    expect(withKind(http, 'relay_route')).toEqual({ kind: 'relay_route', name: 'Check', method: 'POST', url: 'https://x.example', headers: { A: 'b' } });
    expect(withKind(http, 'notify')).toEqual({ kind: 'notify', name: 'Check', message: '' });
  });

  it('reads headers and statuses as typed', () => {
    expect(parseHeaders('Authorization: Bearer {{config.key}}\n\nX-A:b:c')).toEqual({ ok: true, value: { Authorization: 'Bearer {{config.key}}', 'X-A': 'b:c' } });
    expect(parseHeaders('no colon')).toEqual({ ok: false, error: 'Line 1: write Name: value' });
    expect(formatHeaders({ A: '1', B: '2' })).toBe('A: 1\nB: 2');
    expect(parseStatuses('200, 201 204')).toEqual({ ok: true, value: [200, 201, 204] });
    expect(parseStatuses('ok')).toEqual({ ok: false, error: '"ok" is not an HTTP status (100 to 599)' });
    expect(parseStatuses('')).toEqual({ ok: true, value: undefined });
  });

  it('reads the image of a data: URI logo, to store it as a file', () => {
    const svg = dataURIImage("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E%3C/svg%3E");
    expect(svg?.type).toBe('image/svg+xml');
    expect(new TextDecoder().decode(svg!.bytes)).toBe("<svg xmlns='http://www.w3.org/2000/svg'></svg>");
    const png = dataURIImage('data:image/png;base64,iVBORw0KGgo=');
    expect([...png!.bytes.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(dataURIImage('https://example.com/a.png')).toBeNull();
    expect(dataURIImage('data:image/png;base64,***')).toBeNull();
  });

  it('makes ids from names', () => {
    expect(slugify('Acme CRM (EU)!')).toBe('acme-crm-eu');
    expect(slugify('  ')).toBe('');
  });
});
