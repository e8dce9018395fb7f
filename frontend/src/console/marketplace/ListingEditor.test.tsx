import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ListingEditor from './ListingEditor';
import type { MpListing } from './api';
import { flush, render, type Rendered } from '../test-utils';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const crm: MpListing = {
  id: 'crm',
  name: 'Acme CRM',
  category: 'CRM',
  logo: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E",
  summary: 'Contacts into the CRM.',
  description: '## Contacts\n\nEach row becomes a **contact**.',
  connector_id: 'crm-v1',
  config_fields: [
    { name: 'api_key', label: 'API key', type: 'password', required: true, secret: true, default: '', help: 'Under Settings.', options: null },
    { name: 'region', label: 'Region', type: 'select', required: false, secret: false, default: 'eu', help: '', options: ['eu', 'us'] },
  ],
  workflow: [
    { kind: 'http_request', name: 'Check the key', method: 'GET', url: 'https://crm.example/me', headers: { Authorization: 'Bearer {{config.api_key}}' } },
    { kind: 'notify', name: 'Done', message: 'Connected.' },
  ],
};

let view: Rendered | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
  vi.unstubAllGlobals();
  document.querySelectorAll('.fbx-dialog-host').forEach((d) => d.remove());
});

const $ = <T extends Element = HTMLElement>(sel: string) => view!.container.querySelector(sel) as T | null;

/** Types into a controlled input the way a user does (React listens to the input event). */
async function type(el: Element | null, value: string) {
  if (!el) throw new Error('no such input');
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  await act(async () => {
    Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(el, value);
    el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  });
}

async function click(el: Element | null) {
  if (!el) throw new Error('nothing to click');
  await act(async () => (el as HTMLElement).click());
}

const byLabel = (text: string, root: ParentNode = view!.container) =>
  [...root.querySelectorAll('label')].find((l) => l.querySelector('.lf-label')?.textContent === text)?.querySelector('input, textarea, select') ?? null;
const button = (name: string) => [...view!.container.querySelectorAll('button')].find((b) => b.textContent === name || b.getAttribute('aria-label') === name) ?? null;
const tab = (name: string) => [...view!.container.querySelectorAll('[role="tab"]')].find((b) => b.textContent === name) ?? null;
const jsonBox = () => $<HTMLTextAreaElement>('textarea[aria-label="Listing JSON"]');

describe('ListingEditor', () => {
  it('keeps the form and the Advanced (JSON) tab in step, both ways', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(404, {})));
    view = await render(<ListingEditor original={crm} categories={['CRM']} onSaved={() => {}} onClose={() => {}} />);

    // Form -> JSON: a new summary, a moved step, a field's new label.
    await type(byLabel('Summary'), 'Every imported row becomes a contact.');
    await click(button('Move step 2 up'));
    await type(byLabel('Label', $('[data-field-index="1"]')!), 'Data region');
    await click(tab('Advanced (JSON)'));
    const shown = JSON.parse(jsonBox()!.value) as MpListing;
    expect(shown.summary).toBe('Every imported row becomes a contact.');
    expect(shown.workflow.map((s) => s.name)).toEqual(['Done', 'Check the key']);
    expect(shown.config_fields![1].label).toBe('Data region');
    expect(shown.logo).toBe(crm.logo);

    // JSON -> form: a new name and a third step written as JSON show in the form.
    const edited = { ...shown, name: 'Acme CRM (EU)', workflow: [...shown.workflow, { kind: 'relay_route', name: 'Send contacts', url: 'https://crm.example/contacts' }] };
    await type(jsonBox(), JSON.stringify(edited, null, 2));
    await click(tab('Form'));
    expect((byLabel('Name') as HTMLInputElement).value).toBe('Acme CRM (EU)');
    const steps = [...view.container.querySelectorAll('[data-step-index]')];
    expect(steps).toHaveLength(3);
    expect((byLabel('Step kind', steps[2]) as HTMLSelectElement).value).toBe('relay_route');
    expect((byLabel('URL', steps[2]) as HTMLInputElement).value).toBe('https://crm.example/contacts');
    expect(byLabel('Message', steps[2])).toBeNull(); // a relay route has no message
  });

  it('keeps you on the JSON tab while the JSON is invalid, saying where', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(404, {})));
    view = await render(<ListingEditor original={crm} categories={[]} onSaved={() => {}} onClose={() => {}} />);
    await click(tab('Advanced (JSON)'));
    await type(jsonBox(), '{\n  "id": "crm",\n  "name": "Acme"\n  "workflow": []\n}');
    expect($('[data-testid="json-error"]')?.textContent).toMatch(/not valid at line 4, column 3/);
    await click(tab('Form'));
    expect(jsonBox()).not.toBeNull();
    expect($('[role="alert"][data-testid="json-blocked"]')?.textContent).toMatch(/Fix the JSON to go back to the form/);
    expect(tab('Advanced (JSON)')?.getAttribute('aria-selected')).toBe('true');
    // A type the form cannot show is refused the same way.
    await type(jsonBox(), '{"workflow": {}}');
    expect($('[data-testid="json-error"]')?.textContent).toMatch(/"workflow" must be a list \(an array\) of steps/);
    // Fixed: the form comes back with the JSON's values.
    await type(jsonBox(), JSON.stringify({ ...crm, category: 'Sales' }));
    await click(tab('Form'));
    expect((byLabel('Category') as HTMLInputElement).value).toBe('Sales');
  });

  it('shows the server\'s refusal next to the field it names, and saves with PUT', async () => {
    const calls: { method: string; url: string; body?: string }[] = [];
    let refuse = true;
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({ method: init?.method ?? 'GET', url, body: init?.body as string | undefined });
      if (init?.method === 'PUT' && refuse) {
        return json(422, { error: { code: 'EINVALID', message: 'listing.workflow[0].url: "crm.example/me" must be an absolute http(s) URL or start with a placeholder such as {{fusebox.base_url}}' } });
      }
      if (init?.method === 'PUT') return json(200, JSON.parse(init.body as string));
      return json(404, { error: { code: 'ENOTFOUND', message: url } });
    }));
    const saved: MpListing[] = [];
    view = await render(<ListingEditor original={crm} categories={[]} onSaved={(l) => saved.push(l)} onClose={() => {}} />);
    const url = byLabel('URL', $('[data-step-index="0"]')!) as HTMLInputElement;
    await type(url, 'crm.example/me');
    await click(button('Save listing'));
    await flush();
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(url.closest('label')?.querySelector('.field-error')?.textContent).toMatch(/must be an absolute http\(s\) URL/);
    expect($('[data-step-index="1"] .field-error')).toBeNull();
    expect(view.container.textContent).toContain('Not saved');

    refuse = false;
    await type(url, 'https://crm.example/me');
    expect(url.getAttribute('aria-invalid')).toBeNull(); // the error goes once the field changes
    await click(button('Save listing'));
    await flush();
    const put = calls.filter((c) => c.method === 'PUT').at(-1)!;
    expect(put.url).toBe('/api/admin/marketplace/listings/crm');
    expect(JSON.parse(put.body!).workflow[0].url).toBe('https://crm.example/me');
    expect(saved).toHaveLength(1);
    expect(view.container.textContent).toContain('Saved.');
  });

  it('adds, edits and removes config fields and steps; removing asks with the styled dialog', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(404, {})));
    view = await render(<ListingEditor original={null} categories={[]} onSaved={() => {}} onClose={() => {}} />);
    await type(byLabel('Name'), 'Slack Alerts');
    expect((byLabel('Listing ID') as HTMLInputElement).value).toBe('slack-alerts');
    await click(button('Add field'));
    const field = $('[data-field-index="0"]')!;
    await type(byLabel('Field name', field), 'channel');
    await type(byLabel('Type', field), 'select');
    await type(byLabel('Options (one per line)', field), 'general\nops');
    await click(button('Add an HTTP request step'));
    await click(button('Add a message step'));
    await type(byLabel('Message', $('[data-step-index="1"]')!), 'Posting to {{config.channel}}.');
    await click(tab('Advanced (JSON)'));
    let l = JSON.parse(jsonBox()!.value) as MpListing;
    expect(l.id).toBe('slack-alerts');
    expect(l.config_fields).toEqual([{ name: 'channel', label: '', type: 'select', required: false, secret: false, default: '', help: '', options: ['general', 'ops'] }]);
    expect(l.workflow.map((s) => s.kind)).toEqual(['http_request', 'notify']);
    await click(tab('Form'));

    await click(button('Remove step 1'));
    const dialog = document.querySelector('[role="alertdialog"], [role="dialog"]');
    expect(dialog?.textContent).toContain('Remove step 1');
    const confirm = [...dialog!.querySelectorAll('button')].find((b) => b.textContent === 'Remove step')!;
    await click(confirm);
    await flush();
    await click(tab('Advanced (JSON)'));
    l = JSON.parse(jsonBox()!.value) as MpListing;
    expect(l.workflow.map((s) => s.kind)).toEqual(['notify']);
  });

  it('holds text that does not read yet (a JSON body) as typed, marks it, and will not save until it reads', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(404, {})));
    view = await render(<ListingEditor original={crm} categories={[]} onSaved={() => {}} onClose={() => {}} />);
    const step = $('[data-step-index="0"]')!;
    const body = byLabel('Body (JSON)', step) as HTMLTextAreaElement;
    await type(body, '{"user": ');
    expect(body.value).toBe('{"user": ');
    expect(body.closest('label')?.querySelector('.field-error')?.textContent).toMatch(/^Not valid JSON/);
    expect((button('Save listing') as HTMLButtonElement).disabled).toBe(true);
    expect($('[role="status"]')?.textContent).toBe('Fix the marked fields to save.');
    await type(body, '{"user": "{{user.externalId}}"}');
    expect((button('Save listing') as HTMLButtonElement).disabled).toBe(false);
    await click(tab('Advanced (JSON)'));
    expect((JSON.parse(jsonBox()!.value) as MpListing).workflow[0].body).toEqual({ user: '{{user.externalId}}' });
  });

  it('a refusal of a save from the JSON tab marks the field once you switch to the form', async () => {
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init?: RequestInit) =>
      init?.method === 'PUT'
        ? json(422, { error: { code: 'EINVALID', message: 'listing.config_fields[1].default: "mars" is not one of eu, us' } })
        : json(404, {})));
    view = await render(<ListingEditor original={crm} categories={[]} onSaved={() => {}} onClose={() => {}} />);
    await click(tab('Advanced (JSON)'));
    const l = JSON.parse(jsonBox()!.value) as MpListing;
    l.config_fields![1].default = 'mars';
    await type(jsonBox(), JSON.stringify(l));
    await click(button('Save listing'));
    await flush();
    expect($('[role="alert"]')?.textContent).toBe('Not saved: config_fields[1].default: "mars" is not one of eu, us');
    await click(tab('Form'));
    const def = byLabel('Default value', $('[data-field-index="1"]')!) as HTMLInputElement;
    expect(def.value).toBe('mars');
    expect(def.getAttribute('aria-invalid')).toBe('true');
    expect(def.closest('label')?.querySelector('.field-error')?.textContent).toBe('"mars" is not one of eu, us');
  });
});
