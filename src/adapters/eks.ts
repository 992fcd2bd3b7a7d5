// EKS: the cluster's OIDC issuer, which IRSA trust policies name.
import { EKSClient, DescribeClusterCommand } from '@aws-sdk/client-eks';
import type { EksPort } from '../core/aws/ports.js';
import { UsageError } from '../core/errors.js';
import { awsCall, isAwsError, type ClientBase } from './aws.js';

export function eksAdapter(base: ClientBase, decorate: (c: EKSClient) => void): EksPort {
  const client = new EKSClient(base);
  decorate(client);
  return {
    async clusterOidcIssuer(cluster) {
      try {
        const r = await awsCall('eks', 'DescribeCluster', cluster, () => client.send(new DescribeClusterCommand({ name: cluster })), [
          'ResourceNotFoundException',
        ]);
        return r.cluster?.identity?.oidc?.issuer;
      } catch (e) {
        if (isAwsError(e, 'ResourceNotFoundException'))
          throw new UsageError(
            `EKS cluster "${cluster}" does not exist in ${base.region}`,
            'check --cluster and --region ("aws eks list-clusters"), or pass --oidc-issuer for a cluster that is not on EKS',
          );
        throw e;
      }
    },
  };
}
