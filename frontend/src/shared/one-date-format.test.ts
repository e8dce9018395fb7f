// One way to show a point in time in the console, the marketplace and the importer: <When iso=…/>
// (shared/When.tsx), relative ("3 min ago") with the exact time on hover. Only shared/dates.ts turns
// dates into text; a page that formats a date itself (toLocaleString, toISOString, Intl.DateTimeFormat,
// getHours…), calls another date formatter, or prints a raw timestamp field fails here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(__dirname, '..');
/** The surfaces this covers. The demo app is a sample host page with its own formats, like any host. */
const roots = ['console', 'marketplace', 'shared', 'embed'];
/** The one place dates become text. */
const formatter = 'shared/dates.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'api-types' ? [] : files(p);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

const rules: [RegExp, string][] = [
  [/\.(toLocaleDateString|toLocaleTimeString|toISOString|toUTCString|toDateString|toTimeString|toGMTString)\s*\(/, 'formats a date itself'],
  [/\bIntl\.(DateTimeFormat|RelativeTimeFormat)\b/, 'formats a date itself'],
  [/\.get(UTC)?(FullYear|Month|Date|Day|Hours|Minutes|Seconds)\s*\(/, 'takes a date apart to print it'],
  // Numbers say their locale ('en-US', as formatCount); a bare toLocaleString() may be a date's.
  [/\.toLocaleString\(\s*\)/, 'toLocaleString() without a locale'],
  [/\.toLocaleString\([^)]*(dateStyle|timeStyle|hour|minute|month|weekday)/, 'formats a date itself'],
  [/\b(formatWhen|formatMediumDateTime|formatLocalDateTime|formatLocalTime|formatRelative)\b/, 'uses another date formatter than <When>'],
  // A timestamp field printed as is: {x.created_at} as text or as a title; <When iso={x.created_at}/> is the way.
  [/(^|[^=\w])\{\s*[\w.?!]+(_at|_seen)\s*\}|title=\{\s*[\w.?!]+(_at|_seen)\s*\}|\$\{\s*[\w.?!]+(_at|_seen)\s*\}/, 'prints a raw timestamp'],
];

/** Files allowed a rule's pattern, and why. */
const allowed: Record<string, string> = {
  'shared/When.tsx': 'the component itself: relative text, exact time on hover',
};

describe('one date format', () => {
  it('only shared/dates.ts formats dates; pages show them with <When>', () => {
    const hits: string[] = [];
    for (const root of roots) {
      for (const f of files(join(src, root))) {
        const rel = relative(src, f);
        if (rel === formatter) continue;
        readFileSync(f, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (/^\s*(\*|\/\/|\/\*)/.test(line)) return; // comments
            for (const [re, why] of rules) {
              if (re.test(line) && !(allowed[rel] && why === 'uses another date formatter than <When>')) hits.push(`${rel}:${i + 1}: ${why}: ${line.trim()}`);
            }
          });
      }
    }
    expect(hits).toEqual([]);
  });

  it('the rules catch what they are for', () => {
    const bad = [
      '<td>{new Date(d.at).toLocaleString()}</td>',
      "const t = d.toLocaleDateString('en-GB');",
      'const day = d.toISOString().slice(0, 10);',
      'const f = new Intl.DateTimeFormat(locale);',
      '<td>{imp.created_at}</td>',
      '<td title={ro.last_seen}>',
      'import { formatLocalTime } from "../shared/dates";',
      "d.toLocaleString('en-GB', { dateStyle: 'medium' })",
    ];
    const good = ['<When iso={imp.created_at} />', "n.toLocaleString('en-US')", '<time dateTime={iso}>', 'const rows = imp.row_count;'];
    const caught = (line: string) => rules.some(([re]) => re.test(line));
    expect(bad.filter((l) => !caught(l))).toEqual([]);
    expect(good.filter(caught)).toEqual([]);
  });
});
