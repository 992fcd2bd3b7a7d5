// STS: who the credentials belong to (the account id every ARN needs).
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { StsPort } from '../core/aws/ports.js';
import { awsCall, type ClientBase } from './aws.js';

export function stsAdapter(base: ClientBase, decorate: (c: STSClient) => void): StsPort {
  const client = new STSClient(base);
  decorate(client);
  return {
    async callerIdentity() {
      const r = await awsCall('sts', 'GetCallerIdentity', 'the current credentials', () => client.send(new GetCallerIdentityCommand({})));
      return { account: r.Account!, arn: r.Arn! };
    },
  };
}
