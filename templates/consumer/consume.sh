#!/bin/bash
# One Job, one message: long-poll once, process, delete, report. Needs bash, curl and the aws CLI v2
# in the image; installs nothing at run time. Exits 0 when no message comes: KEDA's counts are
# approximate and it may start more Jobs than there are messages.
set -u
: "${QUEUE_URL:?}" "${PROCESSING_SECONDS:=30}" "${VISIBILITY_TIMEOUT:=90}" "${RESULT_ANALYZER_URL:?}"

receipt=""
deleting=""

report() {
  curl --silent --show-error --max-time 5 -X POST "${RESULT_ANALYZER_URL}/$1" >/dev/null || echo "could not report $1" >&2
}

on_term() {
  if [ -n "$deleting" ] && wait "$deleting"; then
    # the work was done and its delete was on its way: a processed message, not a kill
    echo "message $id processed and deleted"
    report create/count
    exit 0
  fi
  echo "SIGTERM: returning the message to the queue"
  if [ -n "$receipt" ]; then
    aws sqs change-message-visibility --queue-url "$QUEUE_URL" --receipt-handle "$receipt" --visibility-timeout 0 ||
      echo "could not return the message; it reappears after ${VISIBILITY_TIMEOUT}s" >&2
  fi
  report kill/count
  exit 143
}
trap on_term TERM INT

out=$(aws sqs receive-message --queue-url "$QUEUE_URL" --max-number-of-messages 1 --wait-time-seconds 20 \
  --visibility-timeout "$VISIBILITY_TIMEOUT" --query 'Messages[0].[MessageId,ReceiptHandle,Body]' --output text) || exit 1
if [ -z "$out" ] || [ "$out" = "None" ]; then
  echo "no message arrived; nothing to do"
  exit 0
fi
IFS=$'\t' read -r id receipt body <<<"$out"
echo "processing message $id: $body"

# sleep in the background so the trap runs as soon as SIGTERM arrives
sleep "$PROCESSING_SECONDS" &
wait $!

# in the background too: a SIGTERM during the delete waits for it rather than reporting a kill
aws sqs delete-message --queue-url "$QUEUE_URL" --receipt-handle "$receipt" &
deleting=$!
wait "$deleting" || exit 1
deleting=""
receipt=""
echo "message $id processed and deleted"
report create/count
