// Reads `go test -json` output on stdin, prints one line per package and the
// output of every failed test, and ends with one line that counts top-level
// tests (Test*, Fuzz* seeds run as tests, Example*) apart from their subtests
// (table cases, t.Run):
//
//   go: 420 tests passed, 0 failed, 3 skipped; 1234 cases passed, 0 failed, 2 skipped
//
// A package that fails outside any test (a build error, a panic in init)
// counts as one failed test. scripts/test.sh reads the line's test counts.
import { createInterface } from 'node:readline';

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
const output = new Map(); // "pkg test" -> lines
const tests = { pass: 0, fail: 0, skip: 0 }; // top-level
const cases = { pass: 0, fail: 0, skip: 0 }; // subtests
const failed = [];
const pkgLines = [];
const buildErrors = [];

for await (const line of rl) {
  if (!line.startsWith('{')) { buildErrors.push(line); continue; }
  let ev;
  try { ev = JSON.parse(line); } catch { buildErrors.push(line); continue; }
  const key = `${ev.Package} ${ev.Test ?? ''}`;
  if (ev.Action === 'output') {
    if (!output.has(key)) output.set(key, []);
    output.get(key).push(ev.Output);
    continue;
  }
  if (ev.Action === 'build-output') { buildErrors.push(ev.Output.trimEnd()); continue; }
  if (!['pass', 'fail', 'skip'].includes(ev.Action)) continue;
  if (ev.Test) {
    (ev.Test.includes('/') ? cases : tests)[ev.Action]++;
    if (ev.Action === 'fail') failed.push(key);
  } else {
    const secs = ev.Elapsed != null ? ` ${ev.Elapsed.toFixed(1)}s` : '';
    pkgLines.push(`${ev.Action === 'pass' ? 'ok  ' : ev.Action === 'skip' ? 'none' : 'FAIL'} ${ev.Package}${secs}`);
    if (ev.Action === 'fail' && !failed.some((k) => k.startsWith(ev.Package + ' '))) {
      tests.fail++; // a package that failed to build or failed outside a test
      failed.push(key);
    }
  }
}
for (const l of pkgLines) console.log(l);
for (const key of failed) {
  console.log(`\n--- FAIL ${key}`);
  process.stdout.write((output.get(key) ?? []).join(''));
}
if (buildErrors.length) console.log('\n' + buildErrors.join('\n'));
console.log(
  `go: ${tests.pass} tests passed, ${tests.fail} failed, ${tests.skip} skipped; ` +
    `${cases.pass} cases passed, ${cases.fail} failed, ${cases.skip} skipped`,
);
