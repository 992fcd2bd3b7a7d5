// The test set-up's check of the machine (test/support/prerequisites.ts): on a machine without Go or
// python3-venv, `npm test` stops at once naming what to install, not minutes into a build.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingPrerequisites, prerequisitesMessage } from '../support/prerequisites.ts';

const bin = mkdtempSync(join(tmpdir(), 'prereq-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

/** a stand-in command in `bin` that prints `out` and exits `code` */
function fake(name: string, script: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, name), 0o755);
}

describe('prerequisites of npm test', () => {
  it('this machine (it runs the suite) has everything', () => {
    expect(missingPrerequisites(process.env)).toEqual([]);
  });

  it('an empty PATH: one message naming each thing and how to get it', () => {
    const missing = missingPrerequisites({ PATH: '/nonexistent' }, '/nonexistent/go');
    const names = missing.map((m) => m.what.split(' ')[0]);
    expect(names).toEqual(['Go', 'Python', 'kubectl', 'ip', 'flock', 'setpriv', 'script', 'curl', 'openssl', 'bash']);
    const message = prerequisitesMessage(missing);
    expect(message).toMatch(/^npm test cannot run on this machine: 10 prerequisites are missing/);
    expect(message).toContain('  - Go 1.26 or newer: builds kube-apiserver');
    expect(message).toContain('install: https://go.dev/doc/install');
    expect(message).toContain('install: apt-get install iproute2');
  });

  it('a Go too old and a python without venv are named with what was found', () => {
    fake('go', 'echo "go version go1.22.4 linux/amd64"');
    fake('python3', 'case "$1" in --version) echo "Python 3.11.2";; *) echo "No module named ensurepip" >&2; exit 1;; esac');
    const missing = missingPrerequisites({ PATH: `${bin}:${process.env.PATH}` }, '/nonexistent/go');
    expect(missing.map((m) => m.what)).toEqual([
      'Go 1.26 or newer (found go1.22)',
      "Python's venv module with ensurepip (python3 -m venv)",
    ]);
    expect(missing[1]!.fix).toContain('apt-get install python3-venv');
  });
});
