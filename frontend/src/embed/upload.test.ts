import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmbedApi } from './api';

/** A stand-in XMLHttpRequest that records what each request sends and answers from `answers`. */
function fakeXHR(answers: { status: number; body: unknown }[]) {
  const sent: { headers: Record<string, string>; body: unknown }[] = [];
  class FakeXHR {
    status = 0;
    responseText = '';
    upload: { onprogress?: (e: { loaded: number }) => void } = {};
    onload?: () => void;
    onerror?: () => void;
    onabort?: () => void;
    private headers: Record<string, string> = {};
    open() {}
    setRequestHeader(k: string, v: string) {
      this.headers[k] = v;
    }
    abort() {}
    send(body: unknown) {
      sent.push({ headers: this.headers, body });
      const a = answers.shift() ?? { status: 500, body: {} };
      this.status = a.status;
      this.responseText = JSON.stringify(a.body);
      queueMicrotask(() => this.onload?.());
    }
  }
  vi.stubGlobal('XMLHttpRequest', FakeXHR);
  return sent;
}

describe('EmbedApi.upload', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends the chosen File itself as the first range, not a slice of it', async () => {
    // a slice of a file is copied into memory before Chromium sends it (seconds for 100 MB);
    // the File is streamed from disk
    const sent = fakeXHR([{ status: 200, body: { rows: [] } }]);
    const file = new File(['a,b\n1,2\n'], 'people.csv', { type: 'text/csv' });
    await new EmbedApi({ token: 't' }).upload('imp_1', { file, name: file.name, size: file.size }, () => {});
    expect(sent).toHaveLength(1);
    expect(sent[0].headers['Content-Range']).toBe(`bytes 0-${file.size - 1}/${file.size}`);
    expect(sent[0].body).toBe(file);
  });

  it('sends only the rest after the server kept part of it', async () => {
    const sent = fakeXHR([
      { status: 202, body: { offset: 4, total: 8, name: 'people.csv', complete: false } },
      { status: 200, body: { rows: [] } },
    ]);
    const file = new File(['a,b\n1,2\n'], 'people.csv', { type: 'text/csv' });
    await new EmbedApi({ token: 't' }).upload('imp_1', { file, name: file.name, size: file.size }, () => {});
    expect(sent).toHaveLength(2);
    expect(sent[1].headers['Content-Range']).toBe('bytes 4-7/8');
    expect(await (sent[1].body as Blob).text()).toBe('1,2\n');
  });
});
