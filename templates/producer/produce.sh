#!/bin/bash
# One Pod of `kedactl produce --in-cluster`: sends its share of the messages, 10 per SendMessageBatch, in
# order, one batch at a time, and says after every batch how far it got. The CLI reads these lines from the
# Pod's log: they are the exact count, and a retry of a failed Pod starts after the last "progress" line.
# Needs bash and the aws CLI v2 in the image; installs nothing at run time.
#
# Lines (stdout):  share <index> <first> <end>        messages first..end-1 (0-based) are this Pod's
#                  progress <done> <sent> <failed>    after each batch: done = sent + failed, from first
#                  failed <message> <code> <reason>   SQS refused this message for good (1-based number)
#                  finished <sent> <failed>           the whole share is accounted for (exit 0)
#                  stopped <done> <sent> <failed>     asked to stop (SIGTERM or the run's stop flag; exit 4)
#                  fatal <code> <reason>              no retry can fix it (access denied, no such queue; exit 3)
set -u
: "${QUEUE_URL:?}" "${RANGES:?}" "${RUN_ID:?}" "${JOB_COMPLETION_INDEX:?}"
: "${MAX_BATCH_BYTES:=262144}" "${ATTEMPTS:=8}" "${BODY_TEMPLATE:=}" "${CONTROL_DIR:=/control}"
export LC_ALL=C # ${#x} counts bytes, as SQS's size limits do

read -r -a ranges <<<"$RANGES"
range="${ranges[$JOB_COMPLETION_INDEX]:-}"
if [ -z "$range" ]; then
  echo "fatal NoShare no range for index $JOB_COMPLETION_INDEX in RANGES"
  exit 3
fi
first="${range%-*}"
end="${range#*-}"
echo "share $JOB_COMPLETION_INDEX $first $end"

qualities=(480p 720p 1080p 4K)
stop=0
trap 'stop=1' TERM INT
stopping() { [ "$stop" = 1 ] || [ "$(cat "$CONTROL_DIR/stop" 2>/dev/null)" = "true" ]; }

json_escape() {
  local s="$1"
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/\\n}"
  s="${s//$'\r'/\\r}"
  s="${s//$'\t'/\\t}"
  printf '%s' "$s"
}

# the body of message i (0-based), as `kedactl produce` makes it (src/core/produce/produce.ts bodyMaker)
body_of() {
  local i=$1 n=$(($1 + 1)) q="${qualities[$(($1 % 4))]}"
  if [ -z "$BODY_TEMPLATE" ]; then
    printf '{"videoId":"%s-%d","quality":"%s","sentAt":"%s"}' "$RUN_ID" "$n" "$q" "$sent_at"
  else
    local b="$BODY_TEMPLATE"
    b="${b//\{\{index\}\}/$n}"
    b="${b//\{\{videoId\}\}/$RUN_ID-$n}"
    b="${b//\{\{quality\}\}/$q}"
    b="${b//\{\{sentAt\}\}/$sent_at}"
    printf '%s' "$b"
  fi
}

fatal_code() {
  [[ "$1" =~ (AccessDenied[A-Za-z]*|InvalidClientTokenId|UnrecognizedClient|ExpiredToken|NonExistentQueue|QueueDoesNotExist|InvalidAddress|SignatureDoesNotMatch) ]] &&
    printf '%s' "${BASH_REMATCH[1]}"
}

work="$(mktemp -d)"
done_=0
sent=0
failed=0
next=$first
while [ "$next" -lt "$end" ]; do
  if stopping; then
    echo "stopped $done_ $sent $failed"
    exit 4
  fi
  sent_at="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
  # the next batch: up to 10 messages and MAX_BATCH_BYTES of bodies
  declare -A bodies=()
  pending=()
  bytes=0
  while [ "$next" -lt "$end" ] && [ "${#pending[@]}" -lt 10 ]; do
    b="$(body_of "$next")"
    if [ "${#pending[@]}" -gt 0 ] && [ $((bytes + ${#b})) -gt "$MAX_BATCH_BYTES" ]; then break; fi
    bodies[$next]="$b"
    pending+=("$next")
    bytes=$((bytes + ${#b}))
    next=$((next + 1))
  done
  batch=${#pending[@]}
  for ((attempt = 1; ${#pending[@]} > 0; attempt++)); do
    {
      printf '['
      sep=''
      for i in "${pending[@]}"; do
        printf '%s{"Id":"m%d","MessageBody":"%s"}' "$sep" "$i" "$(json_escape "${bodies[$i]}")"
        sep=','
      done
      printf ']'
    } >"$work/entries.json"
    out="$(aws sqs send-message-batch --queue-url "$QUEUE_URL" --entries "file://$work/entries.json" \
      --query 'Failed[].[Id,SenderFault,Code,Message]' --output text 2>"$work/err")"
    rc=$?
    retry=()
    last=""
    if [ "$rc" -ne 0 ]; then
      err="$(<"$work/err")"
      err="${err//$'\n'/ }"
      code="$(fatal_code "$err")"
      if [ -n "$code" ]; then
        echo "fatal $code $err"
        exit 3
      fi
      retry=("${pending[@]}")
      last="$err"
    else
      declare -A refused=()
      while IFS=$'\t' read -r id fault code message; do
        [ -z "$id" ] || [ "$id" = "None" ] && continue
        i="${id#m}"
        if [ "$fault" = "True" ]; then
          echo "failed $((i + 1)) $code ${message:-refused by SQS}"
          failed=$((failed + 1))
        else
          retry+=("$i")
          last="$code $message"
        fi
        refused[$i]=1
      done <<<"$out"
      for i in "${pending[@]}"; do [ -n "${refused[$i]:-}" ] || sent=$((sent + 1)); done
      unset refused
    fi
    pending=("${retry[@]}")
    if [ "${#pending[@]}" -gt 0 ] && { [ "$attempt" -ge "$ATTEMPTS" ] || [ "$stop" = 1 ]; }; then
      for i in "${pending[@]}"; do echo "failed $((i + 1)) Unsent still failing after $attempt attempts: $last"; done
      failed=$((failed + ${#pending[@]}))
      pending=()
    fi
    # full jitter, so throttled Pods do not retry in step
    if [ "${#pending[@]}" -gt 0 ]; then
      max=$((50 * 2 ** attempt))
      [ "$max" -gt 5000 ] && max=5000
      ms=$((RANDOM * max / 32768))
      sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    fi
  done
  unset bodies
  done_=$((done_ + batch))
  echo "progress $done_ $sent $failed"
done
echo "finished $sent $failed"
