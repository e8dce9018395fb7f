import { afterEach, describe, expect, test, vi } from 'vitest';
import FuseboxMarketplace, { parseMarketplaceEvent } from './marketplace';
import { parseResizeMessage } from './marketplace-protocol';

describe('parseMarketplaceEvent', () => {
  test('accepts the JSON string the iframe posts', () => {
    expect(parseMarketplaceEvent('{"id":"user_listing_click","targetUrl":"http://f/marketplace/listing/crm","message":""}')).toEqual({
      id: 'user_listing_click',
      targetUrl: 'http://f/marketplace/listing/crm',
      message: '',
    });
  });

  test.each([
    ['an object instead of a string', { id: 'ready', targetUrl: '', message: '' }],
    ['invalid JSON', '{"id":'],
    ['an unknown id', '{"id":"steal","targetUrl":"","message":""}'],
    ['a non-string targetUrl', '{"id":"ready","targetUrl":1,"message":""}'],
    ['null', 'null'],
    ['a huge string', 'x'.repeat(70000)],
  ])('rejects %s', (_, data) => {
    expect(parseMarketplaceEvent(data)).toBeNull();
  });
});

describe('FuseboxMarketplace', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  test('embedUrl keeps the token as sent and adds the listing and origin', () => {
    const m = new FuseboxMarketplace({ baseUrl: 'http://127.0.0.1:8787/' });
    expect(m.embedUrl('a.b-c_d')).toBe('http://127.0.0.1:8787/marketplace?jwt=a.b-c_d');
    expect(m.embedUrl(undefined, { listingId: 'crm', origin: 'http://localhost:3000' })).toBe(
      'http://127.0.0.1:8787/marketplace/listing/crm?origin=http%3A%2F%2Flocalhost%3A3000',
    );
  });

  test('mount delivers only messages from its iframe and the marketplace origin', () => {
    const m = new FuseboxMarketplace({ baseUrl: 'http://127.0.0.1:8787' });
    const onEvent = vi.fn();
    const embed = m.mount({ container: document.body, jwt: 'a.b.c', onEvent });
    expect(embed.iframe.src).toBe(`http://127.0.0.1:8787/marketplace?jwt=a.b.c&origin=${encodeURIComponent(window.location.origin)}&autoheight=1`);
    const data = '{"id":"ready","targetUrl":"http://127.0.0.1:8787/marketplace","message":""}';
    const post = (origin: string, source: unknown) =>
      window.dispatchEvent(new MessageEvent('message', { data, origin, source: source as Window }));
    post('http://evil.example', embed.iframe.contentWindow);
    post('http://127.0.0.1:8787', window);
    expect(onEvent).not.toHaveBeenCalled();
    post('http://127.0.0.1:8787', embed.iframe.contentWindow);
    expect(onEvent).toHaveBeenCalledWith({ id: 'ready', targetUrl: 'http://127.0.0.1:8787/marketplace', message: '' });
    embed.destroy();
    post('http://127.0.0.1:8787', embed.iframe.contentWindow);
    expect(onEvent).toHaveBeenCalledTimes(1);
    expect(document.querySelector('iframe')).toBeNull();
  });
});

describe('auto height', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  test('parseResizeMessage reads only the resize message', () => {
    expect(parseResizeMessage('{"id":"fusebox_resize","height":812.4}')).toBe(813);
    expect(parseResizeMessage('{"id":"ready","targetUrl":"","message":""}')).toBeNull();
    expect(parseResizeMessage('{"id":"fusebox_resize","height":"812"}')).toBeNull();
    expect(parseResizeMessage('{"id":"fusebox_resize","height":1e9}')).toBeNull();
    expect(parseResizeMessage({ id: 'fusebox_resize', height: 10 })).toBeNull();
    expect(parseMarketplaceEvent('{"id":"fusebox_resize","height":812}')).toBeNull();
  });

  test('mount follows the content height by default, keeps a fixed height when given one', () => {
    const m = new FuseboxMarketplace({ baseUrl: 'http://127.0.0.1:8787' });
    const onEvent = vi.fn();
    const auto = m.mount({ container: document.body, onEvent });
    expect(auto.iframe.style.height).toBe('480px');
    const post = (data: string, source: unknown) => window.dispatchEvent(new MessageEvent('message', { data, origin: 'http://127.0.0.1:8787', source: source as Window }));
    post('{"id":"fusebox_resize","height":1234}', window);
    expect(auto.iframe.style.height).toBe('480px');
    post('{"id":"fusebox_resize","height":1234}', auto.iframe.contentWindow);
    expect(auto.iframe.style.height).toBe('1234px');
    expect(onEvent).not.toHaveBeenCalled();
    auto.destroy();
    const fixed = m.mount({ container: document.body, height: '720px' });
    expect(fixed.iframe.src).not.toContain('autoheight'); // the page posts no heights then
    post('{"id":"fusebox_resize","height":1234}', fixed.iframe.contentWindow);
    expect(fixed.iframe.style.height).toBe('720px');
    fixed.destroy();
  });
});
