import { describe, expect, test } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { Markdown, parseBlocks, safeHref } from './markdown';

const html = (src: string) => renderToStaticMarkup(<Markdown source={src} />);

describe('Markdown', () => {
  test('renders the supported subset', () => {
    const out = html(
      '## Send imports\n\nThe **Webhook** posts *each* import to `/sink/x`.\n\n- one\n- two\n\n1. a\n2. b\n\n> note\n\n```\ncode <b>\n```\n\n[docs](https://example.com/a?b=1)',
    );
    expect(out).toBe(
      '<div><h3>Send imports</h3><p>The <strong>Webhook</strong> posts <em>each</em> import to <code>/sink/x</code>.</p>' +
        '<ul><li>one</li><li>two</li></ul><ol><li>a</li><li>b</li></ol><blockquote>note</blockquote>' +
        '<pre><code>code &lt;b&gt;</code></pre>' +
        '<p><a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer">docs</a></p></div>',
    );
  });

  test('never turns text into markup', () => {
    const out = html('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n**<i>x</i>**');
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<i>');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  test('only http, https and mailto become links', () => {
    expect(html('[x](javascript:alert(1))')).toBe('<div><p>x)</p></div>');
    expect(html('[x](data:text/html,hi)')).toBe('<div><p>x</p></div>');
    expect(html('[x](/relative)')).toBe('<div><p>x</p></div>');
    expect(safeHref('mailto:a@b.c')).toBe('mailto:a@b.c');
    expect(safeHref('JaVaScRiPt:alert(1)')).toBeNull();
  });

  test('joins wrapped lines and list continuations', () => {
    expect(parseBlocks('a\nb\n\n- x\n  y\n- z')).toEqual([
      { kind: 'p', text: 'a b' },
      { kind: 'ul', items: ['x y', 'z'] },
    ]);
  });
});
