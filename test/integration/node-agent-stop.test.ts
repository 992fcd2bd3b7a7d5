/**
 * The test node's stop contract, on a real kube-apiserver: when `stop()` returns, every Pod it ran has
 * reported its end to the API server, so nothing of the node talks to the API server after the rig stops it.
 * A full run once failed with an unhandled ECONNREFUSED from demo-real.test.ts: a Pod being deleted was
 * killed at stop, and its delete reached the API server after the rig had stopped it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeRig, kubeRequest, type KubeRig } from '../support/kube-rig.ts';
import { podLogTail, startNodeAgent, type NodeAgent } from '../support/node-agent.ts';
import { pollUntil } from '../support/poll.ts';

let rig: KubeRig;
const rejections: unknown[] = [];
const onRejection = (e: unknown) => void rejections.push(e);

beforeAll(async () => {
  rig = await startKubeRig({ log: () => {} });
  process.on('unhandledRejection', onRejection);
}, 300_000);
afterAll(async () => {
  await rig?.stop();
  process.off('unhandledRejection', onRejection);
});

const pod = (name: string, script: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { terminationGracePeriodSeconds: 60, containers: [{ name: 'c', image: 'busybox', command: ['bash', '-c', script] }] },
});
const get = async (name: string) => kubeRequest(rig, 'GET', `/api/v1/namespaces/default/pods/${name}`);
/** a Pod that says so when SIGTERM comes, and runs on */
const DEAF = "trap 'echo TERM ignored' TERM; while true; do sleep 0.1; done";
/** the node has seen the Pod's deletion: its SIGTERM reached the Pod */
const termSeen = (node: NodeAgent, name: string) =>
  pollUntil(
    `${name} got SIGTERM`,
    async () => ([...node.pods.values()].some((p) => p.name === name && podLogTail(p).includes('TERM ignored')) ? true : undefined),
    30_000,
  );

describe('test node: stop()', () => {
  it('returns only after its Pods have reported their ends: a Pod being deleted is gone, a running one Failed', async () => {
    // the rig keeps running after the node stops, so the test can look at what the node reported
    const node = await startNodeAgent({ rig, awsCli: '/bin/false', intervalMs: 50 });
    try {
      // one Pod ignores SIGTERM (so its delete waits for the grace period), one just runs
      for (const [name, script] of [
        ['deaf', DEAF],
        ['busy', 'while true; do sleep 0.1; done'],
      ] as const) {
        const made = await kubeRequest(rig, 'POST', '/api/v1/namespaces/default/pods', { body: pod(name, script) });
        expect(made.status, made.body).toBe(201);
      }
      for (const name of ['deaf', 'busy'])
        await pollUntil(`${name} Running`, async () => ((await get(name)).json().status?.phase === 'Running' ? true : undefined), 30_000);
      const del = await kubeRequest(rig, 'DELETE', '/api/v1/namespaces/default/pods/deaf', {
        body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 60 },
      });
      expect(del.status, del.body).toBeLessThan(300);
      await termSeen(node, 'deaf');
    } finally {
      await node.stop();
    }
    // no request of the node is still under way: what it had to say is already in the API server
    expect((await get('deaf')).status).toBe(404);
    const busy = (await get('busy')).json();
    expect(busy.status.phase).toBe('Failed');
    expect(busy.status.containerStatuses[0].state.terminated.exitCode).toBe(137);
  }, 120_000);

  it('leaves no unhandled rejection behind once the API server is gone', async () => {
    const node = await startNodeAgent({ rig, awsCli: '/bin/false', intervalMs: 50 });
    const made = await kubeRequest(rig, 'POST', '/api/v1/namespaces/default/pods', { body: pod('late', DEAF) });
    expect(made.status, made.body).toBe(201);
    await pollUntil('late Running', async () => ((await get('late')).json().status?.phase === 'Running' ? true : undefined), 30_000);
    await kubeRequest(rig, 'DELETE', '/api/v1/namespaces/default/pods/late', {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 60 },
    });
    await termSeen(node, 'late');
    await node.stop();
    await rig.stop();
    // anything the node left running would hit the stopped API server now
    await new Promise((r) => setTimeout(r, 1000));
    expect(rejections).toEqual([]);
  }, 120_000);
});
