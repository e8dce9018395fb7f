// @vitest-environment node
// Server-side rendering (Next.js, Nuxt): the components render in Node without a DOM; the importer
// opens in the browser once they mount.
import { createElement } from 'react';
import { renderToString as renderReact } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createSSRApp, h } from 'vue';
import { renderToString as renderVue } from 'vue/server-renderer';
import { FuseboxImporter as ReactImporter } from './react';
import { FuseboxImporter as VueImporter } from './vue';

const props = { serverUrl: 'http://127.0.0.1:8787', importerSlug: 'contacts', sessionToken: 'tok' };

describe('server-side rendering', () => {
  it('React: nothing for the modal, the empty element for inline', () => {
    expect(typeof document).toBe('undefined');
    expect(renderReact(createElement(ReactImporter, props))).toBe('');
    expect(renderReact(createElement(ReactImporter, { ...props, inline: true, className: 'box' }))).toBe('<div class="box" data-fusebox-importer=""></div>');
  });

  it('Vue: nothing for the modal, the empty element for inline', async () => {
    expect(await renderVue(createSSRApp({ render: () => h(VueImporter, props) }))).toBe('<!---->');
    expect(await renderVue(createSSRApp({ render: () => h(VueImporter, { ...props, inline: true }) }))).toBe('<div data-fusebox-importer></div>');
  });
});
