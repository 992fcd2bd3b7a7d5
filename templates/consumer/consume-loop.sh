#!/bin/bash
# A long-running consumer (the deployment workload): long-poll, process one message, delete, report;
# again until stopped. Needs bash, curl and the aws CLI v2 in the image. On SIGTERM (the HPA scaled the
# Deployment down, and the ReplicaSet picked this Pod whether busy or not) it finishes a long poll in
# progress, gives back the message it holds and reports a kill; an idle consumer just exits.
set -u
: "${QUEUE_URL:?}" "${PROCESSING_SECONDS:=30}" "${VISIBILITY_TIMEOUT:=90}" "${RESULT_ANALYZER_URL:?}" "${WAIT_SECONDS:=10}"

work=$(mktemp -d)
receipt=""
receiving=""
deleting=""

report() {
  curl --silent --show-error --max-time 5 -X POST "${RESULT_ANALYZER_URL}/$1" >/dev/null || echo "could not report $1" >&2
}

give_back() {
  aws sqs change-message-visibility --queue-url "$QUEUE_URL" --receipt-handle "$1" --visibility-timeout 0 ||
    echo "could not give the message back; it reappears after ${VISIBILITY_TIMEOUT}s" >&2
}

on_term() {
  if [ -n "$receiving" ]; then
    # a receive in flight may still hand this consumer a message: wait for it and give that back unprocessed
    wait "$receiving" 2>/dev/null
    IFS=$'\t' read -r _ late _ <"$work/out" 2>/dev/null || true
    if [ -n "${late:-}" ] && [ "$late" != "None" ]; then
      echo "SIGTERM while receiving: giving back a message not yet started"
      give_back "$late"
    fi
  fi
  if [ -n "$deleting" ]; then
    # the work is done and the delete is on its way: a processed message, not a kill
    if wait "$deleting"; then
      echo "message $id processed and deleted"
      echo "SIGTERM after processing: stopping"
      report create/count
      rm -rf "$work"
      exit 0
    fi
  fi
  if [ -n "$receipt" ]; then
    echo "SIGTERM while processing: giving the message back to the queue"
    give_back "$receipt"
    report kill/count
    rm -rf "$work"
    exit 143
  fi
  echo "SIGTERM while idle: stopping"
  rm -rf "$work"
  exit 0
}
trap on_term TERM INT

while true; do
  # in the background, so the trap runs as soon as SIGTERM arrives
  : >"$work/out"
  aws sqs receive-message --queue-url "$QUEUE_URL" --max-number-of-messages 1 --wait-time-seconds "$WAIT_SECONDS" \
    --visibility-timeout "$VISIBILITY_TIMEOUT" --query 'Messages[0].[MessageId,ReceiptHandle,Body]' --output text >"$work/out" &
  receiving=$!
  if ! wait "$receiving"; then
    receiving=""
    echo "receive failed; retrying in 5s" >&2
    sleep 5 &
    wait $!
    continue
  fi
  receiving=""
  out=$(cat "$work/out")
  if [ -z "$out" ] || [ "$out" = "None" ]; then
    continue
  fi
  IFS=$'\t' read -r id receipt body <<<"$out"
  echo "processing message $id: $body"

  sleep "$PROCESSING_SECONDS" &
  wait $!

  aws sqs delete-message --queue-url "$QUEUE_URL" --receipt-handle "$receipt" &
  deleting=$!
  if wait "$deleting"; then
    deleting=""
    receipt=""
    echo "message $id processed and deleted"
    report create/count
  else
    deleting=""
    # not deleted: it comes back after the visibility timeout and is processed again
    echo "could not delete message $id; it will be re-delivered" >&2
    receipt=""
  fi
done
