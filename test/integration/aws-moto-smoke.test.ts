import { describe, expect, it } from 'vitest';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { MOTO_ACCOUNT, MOTO_ENV, motoEndpoint, uniqueStack } from '../support/moto.ts';

describe('moto server', () => {
  it('answers on the endpoint global-setup started', async () => {
    const r = await fetch(`${motoEndpoint()}/moto-api/data.json`);
    expect(r.status).toBe(200);
  });

  it('gives each EKS cluster its own OIDC issuer, as EKS does (tests in parallel each own one IAM OIDC provider)', async () => {
    const eks = new EKSClient({
      region: MOTO_ENV.AWS_REGION,
      endpoint: motoEndpoint(),
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const issuer = async () =>
      (
        await eks.send(
          new CreateClusterCommand({
            name: uniqueStack('eks'),
            roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/eks`,
            resourcesVpcConfig: { subnetIds: [] },
          }),
        )
      ).cluster!.identity!.oidc!.issuer!;
    const [a, b] = [await issuer(), await issuer()];
    expect(a).toMatch(/^https:\/\/oidc\.eks\.us-east-1\.amazonaws\.com\/id\/[0-9A-F]{32}$/);
    expect(b).not.toBe(a);
  });
});
