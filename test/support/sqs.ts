// The queue as a consumer or KEDA sees it, with the plain SDK on moto (not kedactl's adapter): tests count
// what arrived by receiving it and read the depth by the attributes kedactl reads (src/core/aws/queue-depth.ts).
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { queueDepth } from '../../src/core/aws/queue-depth.ts';
import { MOTO_ENV, motoEndpoint } from './moto.ts';

/** An SDK SQS client on the test moto server (or `endpoint`, a moto of one's own), with moto's credentials. */
export function motoSqs(endpoint: string = motoEndpoint()): SQSClient {
  return new SQSClient({
    region: MOTO_ENV.AWS_REGION,
    endpoint,
    useQueueUrlAsEndpoint: false,
    credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
  });
}

/**
 * Every message in the queue: one receiver (moto hands one message to two receives that run at once), each
 * message hidden for an hour (however slow the machine, none comes back before the test ends), until three
 * receives in a row come back empty.
 */
export async function receiveAll(url: string, sqs: SQSClient = motoSqs()): Promise<Message[]> {
  const got: Message[] = [];
  for (let empty = 0; empty < 3; ) {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 3600, WaitTimeSeconds: 0 }),
    );
    const batch = r.Messages ?? [];
    empty = batch.length === 0 ? empty + 1 : 0;
    got.push(...batch);
  }
  return got;
}

export interface QueueNumbers {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** The queue's depth; throws if SQS leaves a number out (a test must not read a missing one as 0). */
export async function queueNumbers(url: string, sqs: SQSClient = motoSqs()): Promise<QueueNumbers> {
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
  const { visible, inFlight, delayed } = queueDepth(a);
  if (visible === undefined || inFlight === undefined || delayed === undefined)
    throw new Error(`${url}: GetQueueAttributes did not give the depth: ${JSON.stringify(a)}`);
  return { visible, inFlight, delayed };
}
