// The RECORDING STUB for helm (test/fixtures/helm-stub/helm) first on PATH: a helm adapter whose calls are recorded.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHelm } from '../../src/adapters/helm.ts';
import type { Helm } from '../../src/core/keda/helm-ports.ts';

export const HELM_STUB_DIR = fileURLToPath(new URL('../fixtures/helm-stub', import.meta.url));

/** env for the stub: HELM_STUB_LIST / HELM_STUB_VALUES / HELM_STUB_FAIL ... (see the stub's header) */
export function stubHelm(o: { kubeconfig?: string; env?: Record<string, string> } = {}): {
  helm: Helm;
  calls: () => string[][];
  env: Record<string, string>;
} {
  const log = join(mkdtempSync(join(tmpdir(), 'helm-stub-')), 'calls');
  const env = { PATH: `${HELM_STUB_DIR}:${process.env.PATH}`, HELM_STUB_LOG: log, ...o.env };
  const helm = createHelm({ env, kubeconfig: o.kubeconfig });
  const calls = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\x1f').slice(0, -1))
      : [];
  return { helm, calls, env };
}
