// Is this Node one that package.json's `engines` allows? Plain JavaScript that any Node with ES modules
// can run, because it runs before anything else of kedactl.

/** "22.22.2" -> [22, 22, 2] */
const parse = (v) =>
  String(v)
    .replace(/^v/, '')
    .split('.')
    .map((n) => parseInt(n, 10) || 0);

const compare = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** One range of the forms engines uses: "^22.22.2", ">=24.15.0"; anything else is not judged (true). */
function satisfiesOne(version, range) {
  const m = /^(\^|>=)\s*v?(\d+(?:\.\d+){0,2})$/.exec(range.trim());
  if (!m) return true;
  const min = parse(m[2]);
  const v = parse(version);
  if (compare(v, min) < 0) return false;
  return m[1] === '>=' || v[0] === min[0];
}

/** "^22.22.2 || >=24.15.0" */
export function satisfies(version, engines) {
  return String(engines)
    .split('||')
    .some((r) => satisfiesOne(version, r));
}

/** The message for a Node that engines does not allow, or undefined. */
export function nodeProblem(version, engines) {
  if (satisfies(version, engines)) return undefined;
  return [
    `error: kedactl needs Node.js ${engines}; this is Node.js ${version} (${process.execPath})`,
    'next: install Node.js 24 LTS (https://nodejs.org/en/download, or `nvm install 24`, or `fnm install 24`),',
    '      then run kedactl with it; in a clone of kedactl, `eval "$(bash .ci/node24)"` puts one on PATH',
    '',
  ].join('\n');
}
