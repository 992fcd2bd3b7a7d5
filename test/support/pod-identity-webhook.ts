import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeRequest, type KubeRig } from './kube-rig.ts';
import { selfSignedCert } from './tls.ts';

type Rig = Pick<KubeRig, 'server' | 'caPem' | 'adminToken'>;

export const ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

/** the JSON patch EKS's webhook makes to a Pod whose service account names a role (none when it names none) */
export function podIdentityPatch(pod: any, role: string | undefined): unknown[] {
  if (!role) return [];
  const ops: unknown[] = [];
  const add = [
    { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
    { name: 'AWS_ROLE_ARN', value: role },
    { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: `${TOKEN_DIR}/token` },
  ];
  (pod.spec.containers ?? []).forEach((c: any, i: number) => {
    const have = new Set((c.env ?? []).map((e: any) => e.name));
    if (have.has('AWS_ROLE_ARN')) return;
    const env = add.filter((e) => !have.has(e.name));
    if (!c.env) ops.push({ op: 'add', path: `/spec/containers/${i}/env`, value: env });
    else for (const e of env) ops.push({ op: 'add', path: `/spec/containers/${i}/env/-`, value: e });
    const mount = { name: 'aws-iam-token', mountPath: TOKEN_DIR, readOnly: true };
    ops.push(
      c.volumeMounts
        ? { op: 'add', path: `/spec/containers/${i}/volumeMounts/-`, value: mount }
        : { op: 'add', path: `/spec/containers/${i}/volumeMounts`, value: [mount] },
    );
  });
  if (ops.length === 0) return [];
  const volume = {
    name: 'aws-iam-token',
    projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } }] },
  };
  ops.push(
    pod.spec.volumes ? { op: 'add', path: '/spec/volumes/-', value: volume } : { op: 'add', path: '/spec/volumes', value: [volume] },
  );
  return ops;
}

export interface PodIdentityWebhook {
  stop(): Promise<void>;
}

export async function startPodIdentityWebhook(rig: Rig, name = 'pod-identity-webhook.kedactl.test'): Promise<PodIdentityWebhook> {
  const dir = mkdtempSync(join(tmpdir(), 'kedactl-piw-'));
  const { key, cert } = selfSignedCert(dir, '127.0.0.1', 'IP:127.0.0.1');
  const server = createServer({ key, cert }, (req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      const review = JSON.parse(body);
      const rq = review.request;
      let patch: unknown[] = [];
      try {
        const sa = rq.object.spec.serviceAccountName ?? 'default';
        const r = await kubeRequest(rig, 'GET', `/api/v1/namespaces/${rq.namespace}/serviceaccounts/${sa}`);
        patch = podIdentityPatch(rq.object, r.status === 200 ? r.json().metadata.annotations?.[ROLE_ANNOTATION] : undefined);
      } catch {
        /* as EKS's webhook: a Pod it cannot look at is admitted unchanged */
      }
      const response = {
        uid: rq.uid,
        allowed: true,
        ...(patch.length ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') } : {}),
      };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const config = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name },
    webhooks: [
      {
        name,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        reinvocationPolicy: 'IfNeeded',
        timeoutSeconds: 10,
        clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle: cert.toString('base64') },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      },
    ],
  };
  const made = await kubeRequest(rig, 'POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', { body: config });
  if (made.status >= 300) throw new Error(`pod identity webhook: ${made.status} ${made.body}`);
  return {
    async stop() {
      await kubeRequest(rig, 'DELETE', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`).catch(
        () => undefined,
      );
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
