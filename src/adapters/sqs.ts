// SQS through SDK v3. With an endpoint (emulators) every call goes there, including the calls that
// take a queue URL, which the SDK would otherwise send to the URL's host.
import {
  SQSClient,
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  SendMessageBatchCommand,
  SetQueueAttributesCommand,
  type QueueAttributeName,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import type { SqsPort } from '../core/aws/ports.js';
import { TransientAwsError } from '../core/aws/ports.js';
import { awsCall, errorName, isAwsError, isTransient, toKedactlError, type ClientBase } from './aws.js';

const GONE = ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'NonExistentQueue'];

export function queueName(url: string): string {
  return url.replace(/\/+$/, '').split('/').pop() ?? url;
}

export function sqsAdapter(base: ClientBase, decorate: (c: SQSClient) => void): SqsPort {
  const client = new SQSClient({ ...base, ...(base.endpoint ? { useQueueUrlAsEndpoint: false } : {}) });
  decorate(client);
  const call = <T>(op: string, resource: string, fn: () => Promise<T>, quiet: string[] = []) => awsCall('sqs', op, resource, fn, quiet);

  return {
    async getQueueUrl(name) {
      try {
        const r = await call('GetQueueUrl', name, () => client.send(new GetQueueUrlCommand({ QueueName: name })), GONE);
        return r.QueueUrl;
      } catch (e) {
        if (isAwsError(e, ...GONE)) return undefined;
        throw e;
      }
    },
    async createQueue(name, attributes, tags) {
      const r = await call('CreateQueue', name, () =>
        client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags })),
      );
      return r.QueueUrl!;
    },
    async getQueueAttributes(url) {
      const r = await call('GetQueueAttributes', queueName(url), () =>
        client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All' as QueueAttributeName] })),
      );
      return (r.Attributes ?? {}) as Record<string, string>;
    },
    async queueAttributes(url) {
      try {
        const r = await call(
          'GetQueueAttributes',
          queueName(url),
          () => client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All' as QueueAttributeName] })),
          GONE,
        );
        return (r.Attributes ?? {}) as Record<string, string>;
      } catch (e) {
        if (isAwsError(e, ...GONE)) return undefined;
        throw e;
      }
    },
    async setQueueAttributes(url, attributes) {
      await call('SetQueueAttributes', queueName(url), () =>
        client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes })),
      );
    },
    async listQueueTags(url) {
      try {
        const r = await call('ListQueueTags', queueName(url), () => client.send(new ListQueueTagsCommand({ QueueUrl: url })), GONE);
        return r.Tags ?? {};
      } catch (e) {
        if (isAwsError(e, ...GONE)) return undefined;
        throw e;
      }
    },
    async listQueues(prefix) {
      const urls: string[] = [];
      let NextToken: string | undefined;
      do {
        const r = await call('ListQueues', prefix ? `${prefix}*` : '*', () =>
          client.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, NextToken })),
        );
        urls.push(...(r.QueueUrls ?? []));
        NextToken = r.NextToken;
      } while (NextToken);
      return urls;
    },
    async deleteQueue(url) {
      try {
        await call('DeleteQueue', queueName(url), () => client.send(new DeleteQueueCommand({ QueueUrl: url })), GONE);
        return true;
      } catch (e) {
        if (isAwsError(e, ...GONE)) return false;
        throw e;
      }
    },
    async sendMessageBatch(url, entries) {
      let r: SendMessageBatchCommandOutput;
      try {
        r = await client.send(
          new SendMessageBatchCommand({ QueueUrl: url, Entries: entries.map((e) => ({ Id: e.id, MessageBody: e.body })) }),
        );
      } catch (e) {
        // the producer retries what a later attempt may fix; everything else stops it
        if (isTransient(e)) throw new TransientAwsError(errorName(e) || 'Transient', String((e as Error).message ?? e));
        throw toKedactlError(e, 'sqs', 'SendMessageBatch', queueName(url));
      }
      return {
        successful: (r.Successful ?? []).map((s) => s.Id!),
        failed: (r.Failed ?? []).map((f) => ({
          id: f.Id!,
          code: f.Code ?? 'Unknown',
          message: f.Message ?? '',
          senderFault: Boolean(f.SenderFault),
        })),
      };
    },
  };
}
