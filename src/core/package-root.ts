// kedactl's own folder (package.json, templates/), found by walking up from a module's URL: the build
// bundles modules into chunks that sit at other depths than their sources do (.ci/bundle.mjs).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'kedactl') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`bug: no kedactl package.json in a folder above ${fileURLToPath(moduleUrl)}`);
    dir = up;
  }
}
