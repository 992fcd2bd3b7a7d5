// A moto server of a test's own with IAM enforced, as AWS is: set up with moto's root keys (an EKS cluster,
// for its OIDC issuer, and an administrator for kedactl), then every request is authenticated and
// authorized by IAM (moto's reset-auth), so a missing permission fails as it would on AWS.
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { MOTO_ACCOUNT, MOTO_ENV, startMoto, type Moto } from './moto.ts';

export interface MotoWithIam {
  moto: Moto;
  /** the administrator's keys (allowed everything, as a user running kedactl init would be) */
  admin: { accessKeyId: string; secretAccessKey: string };
}

export async function startMotoWithIam(eksCluster: string): Promise<MotoWithIam> {
  const moto = await startMoto();
  try {
    const root = {
      region: MOTO_ENV.AWS_REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
    };
    await new EKSClient(root).send(
      new CreateClusterCommand({
        name: eksCluster,
        roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/eks`,
        resourcesVpcConfig: { subnetIds: [] },
      }),
    );
    const iam = new IAMClient(root);
    await iam.send(new CreateUserCommand({ UserName: 'kedactl-admin' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'kedactl-admin',
        PolicyName: 'all',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'kedactl-admin' }))).AccessKey!;
    const on = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
    if (!on.ok) throw new Error(`moto refused to enforce IAM: HTTP ${on.status} ${await on.text()}`);
    return { moto, admin: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } };
  } catch (e) {
    await moto.stop();
    throw e;
  }
}
