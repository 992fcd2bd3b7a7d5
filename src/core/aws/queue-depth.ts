// What SQS's queue attributes say about depth, read in one place: status and watch show the same numbers
// under the same names, and KEDA's scaler reads the same attributes (visible + in flight).

export interface QueueDepth {
  /** ApproximateNumberOfMessages: waiting to be received */
  visible?: number;
  /** ApproximateNumberOfMessagesNotVisible: received, not yet deleted or made visible again */
  inFlight?: number;
  /** ApproximateNumberOfMessagesDelayed: sent with a delay, not yet visible */
  delayed?: number;
}

const count = (v: string | undefined): number | undefined =>
  v === undefined || v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);

/** The depth numbers in a GetQueueAttributes answer; undefined where SQS did not say. */
export function queueDepth(attributes: Record<string, string | undefined>): QueueDepth {
  return {
    visible: count(attributes.ApproximateNumberOfMessages),
    inFlight: count(attributes.ApproximateNumberOfMessagesNotVisible),
    delayed: count(attributes.ApproximateNumberOfMessagesDelayed),
  };
}
