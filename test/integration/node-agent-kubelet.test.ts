/**
 * What the test node does as a kubelet would, and KEDA's chart needs (test/support/keda-pods.ts): the operator
 * starts with its certificates Secret missing (an optional volume), writes the Secret itself, exits, and is
 * restarted to read the files the kubelet synced into its volume. On a real kube-apiserver of the file's own
 * (the node binds every unscheduled Pod of its cluster, so it cannot share the suite's rig).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeRig, kubeRequest, type KubeRig } from '../support/kube-rig.ts';
import { podLogTail, startNodeAgent, type NodeAgent } from '../support/node-agent.ts';
import { pollUntil } from '../support/poll.ts';

let rig: KubeRig;
let node: NodeAgent;

beforeAll(async () => {
  rig = await startKubeRig({ log: () => {} });
  node = await startNodeAgent({ rig, awsCli: '/bin/false', intervalMs: 100 });
}, 300_000);
afterAll(async () => {
  await node?.stop();
  await rig?.stop();
});

const NS = 'default';
const secret = (name: string, value: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: NS },
  stringData: { k: value },
});
/** a Pod whose one container runs `script` with the path of the Secret volume's file `k` as $1 */
const pod = (name: string, secretName: string, restartPolicy: string, script: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS },
  spec: {
    restartPolicy,
    terminationGracePeriodSeconds: 1,
    volumes: [{ name: 'certs', secret: { secretName, optional: true } }],
    // the node rewrites an argument under a mount path to its folder for that volume
    containers: [
      {
        name: 'c',
        image: 'busybox',
        command: ['bash', '-c', script, 'c', '/certs/k'],
        volumeMounts: [{ name: 'certs', mountPath: '/certs' }],
      },
    ],
  },
});
const create = async (path: string, body: unknown) => {
  const r = await kubeRequest(rig, 'POST', path, { body });
  expect(r.status, r.body).toBe(201);
};
const status = async (name: string) => (await kubeRequest(rig, 'GET', `/api/v1/namespaces/${NS}/pods/${name}`)).json().status;
const log = (name: string) =>
  [...node.pods.values()]
    .filter((p) => p.name === name)
    .map((p) => podLogTail(p, 1000))
    .join('\n');

describe('test node: what a kubelet does for a Deployment Pod', () => {
  it('an optional Secret volume that is missing starts empty; a restartPolicy Always container that exits runs again and then sees the Secret written meanwhile', async () => {
    await create(
      `/api/v1/namespaces/${NS}/pods`,
      pod(
        'restarts',
        'restarts-certs',
        'Always',
        'if [ -f "$1" ]; then echo "got $(cat "$1")"; exec sleep 3600; fi; echo "no file yet"; exit 3',
      ),
    );
    await pollUntil(
      'a first run without the file',
      async () => (log('restarts').includes('no file yet') ? true : undefined),
      30_000,
      () => log('restarts'),
    );
    await create(`/api/v1/namespaces/${NS}/secrets`, secret('restarts-certs', 'hello'));
    const s = await pollUntil(
      'running with the file',
      async () => {
        const st = await status('restarts');
        return log('restarts').includes('got hello') && st?.containerStatuses?.[0]?.state?.running ? st : undefined;
      },
      60_000,
      () => log('restarts'),
    );
    expect(s.phase).toBe('Running');
    expect(s.containerStatuses[0].restartCount).toBeGreaterThanOrEqual(1);
    expect(s.containerStatuses[0].lastState.terminated.exitCode).toBe(3);
  }, 90_000);

  it("a running container's Secret volume follows the Secret's changes", async () => {
    await create(`/api/v1/namespaces/${NS}/secrets`, secret('synced-certs', 'one'));
    await create(
      `/api/v1/namespaces/${NS}/pods`,
      pod('synced', 'synced-certs', 'Always', 'while true; do echo "now $(cat "$1")"; sleep 0.2; done'),
    );
    await pollUntil(
      'the first value',
      async () => (log('synced').includes('now one') ? true : undefined),
      30_000,
      () => log('synced'),
    );
    const r = await kubeRequest(rig, 'PATCH', `/api/v1/namespaces/${NS}/secrets/synced-certs`, {
      body: { stringData: { k: 'two' } },
      contentType: 'application/merge-patch+json',
    });
    expect(r.status, r.body).toBe(200);
    await pollUntil(
      'the new value in the file',
      async () => (log('synced').includes('now two') ? true : undefined),
      30_000,
      () => log('synced').split('\n').slice(-3).join('\n'),
    );
    expect((await status('synced')).containerStatuses[0].restartCount).toBe(0);
  }, 60_000);

  it('a restartPolicy Never container that exits is not run again: the Pod Failed with its exit code', async () => {
    await create(`/api/v1/namespaces/${NS}/pods`, pod('once', 'once-certs', 'Never', 'echo ran; exit 4'));
    const s = await pollUntil(
      'Failed',
      async () => {
        const st = await status('once');
        return st?.phase === 'Failed' ? st : undefined;
      },
      30_000,
      () => log('once'),
    );
    expect(s.containerStatuses[0].state.terminated.exitCode).toBe(4);
    expect(s.containerStatuses[0].restartCount).toBe(0);
    expect(log('once').match(/^ran$/gm)).toHaveLength(1);
  }, 60_000);
});
