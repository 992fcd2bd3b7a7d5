// Writes a stack as files: every Kubernetes object as YAML, every IAM document as JSON, the queue
// and KEDA settings, and an index. Secrets are never written: the static Secret keeps its placeholders.
import { helmChartCommand } from '../keda/chart.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DesiredStack } from './desired.js';

export interface RenderedFile {
  path: string;
  what: string;
  text: string;
}

export function renderFiles(d: DesiredStack): RenderedFile[] {
  const files: RenderedFile[] = [];
  d.objects.forEach(({ object }, i) => {
    const file = `kubernetes/${String(i + 1).padStart(2, '0')}-${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
    files.push({
      path: file,
      what: `${object.kind} ${object.metadata.namespace ? object.metadata.namespace + '/' : ''}${object.metadata.name}`,
      text: stringify(object, { lineWidth: 0 }),
    });
  });
  for (const doc of d.documents)
    files.push({
      path: `iam/${doc.file}`,
      what: `${doc.kind === 'trust' ? 'trust policy' : 'policy'}: ${doc.purpose}${doc.created ? '' : ' (not created by kedactl)'}`,
      text: JSON.stringify(doc.document, null, 2) + '\n',
    });
  files.push({
    path: 'aws/queues.json',
    what: 'SQS queues: names, attributes, tags',
    text:
      JSON.stringify(
        d.queues.map((q) => ({ name: q.name, purpose: q.purpose, attributes: q.attributes, tags: q.tags })),
        null,
        2,
      ) + '\n',
  });
  files.push({
    path: 'aws/roles.json',
    what: 'IAM roles: names, tags, which documents they use',
    text:
      JSON.stringify(
        d.roles.map((r) => ({ name: r.name, arn: r.arn, purpose: r.purpose, inlinePolicies: Object.keys(r.policies), tags: r.tags })),
        null,
        2,
      ) + '\n',
  });
  const chart = helmChartCommand(d.keda.source);
  const helmSet = Object.entries(d.keda.values)
    .map(([k, v]) => `--set ${k}=${v}`)
    .join(' ');
  files.push({
    path: 'keda/helm.txt',
    what: 'how KEDA is installed',
    text: `${chart.setup ? chart.setup + '\n' : ''}helm upgrade --install ${d.keda.release} ${chart.chart} --version ${d.keda.version} --namespace ${d.keda.namespace} --create-namespace${helmSet ? ' ' + helmSet : ''}\n`,
  });
  files.push({
    path: 'values.json',
    what: 'every template value (for writing --templates overrides)',
    text: JSON.stringify(d.values, null, 2) + '\n',
  });
  const index = [
    `# kedactl stack "${d.settings.stack}"`,
    '',
    `Region ${d.settings.region}, account ${d.arns.accountId}, namespace ${d.names.namespace}, auth ${d.settings.auth}.`,
    'Kubernetes files are numbered in the order they are applied.',
    '',
    '| file | what |',
    '| --- | --- |',
    ...files.map((f) => `| ${f.path} | ${f.what} |`),
    '',
  ].join('\n');
  files.push({ path: 'README.md', what: 'this index', text: index });
  return files;
}

export async function writeRendered(d: DesiredStack, dir: string): Promise<string[]> {
  const files = renderFiles(d);
  for (const f of files) {
    const path = join(dir, f.path);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, f.text);
  }
  return files.map((f) => join(dir, f.path));
}
