# Drives moto's SQS models (in process, no server) the way ten consumers and a producer drive the rig's moto
# server, with Python switching threads as often as it can, so that any step of a queue change that is not
# under a lock is interleaved with others. Prints one JSON line: how many deleted messages came back and how
# many sent messages were lost. Usage: python moto-sqs-races.py stock|launcher LAUNCHER_PATH [MESSAGES] [ROUNDS]
import importlib.util
import json
import sys
import threading

mode, launcher = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
if mode == "launcher":
    spec = importlib.util.spec_from_file_location("launcher", launcher)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
from moto.sqs import models  # noqa: E402

backend = models.sqs_backends["123456789012"]["us-east-1"]
sys.setswitchinterval(1e-6)
back = lost = 0
for r in range(rounds):
    name = f"race-{mode}-{r}"
    backend.create_queue(name)
    for i in range(n):
        backend.send_message(name, f"old-{i}")
    got = []
    while len(got) < n:
        got += backend.receive_message(name, 10, 0, 3600)

    def deleter(messages):
        for m in messages:
            backend.delete_message(name, m.receipt_handle)

    def sender(k):
        for i in range(k, n, 4):
            backend.send_message(name, f"new-{i}")

    threads = [threading.Thread(target=deleter, args=(got[j::8],)) for j in range(8)]
    threads += [threading.Thread(target=sender, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bodies = [m.body for m in backend.get_queue(name)._messages]
    back += sum(b.startswith("old-") for b in bodies)
    lost += n - sum(b.startswith("new-") for b in bodies)
print(json.dumps({"mode": mode, "deletes": n * rounds, "sends": n * rounds, "deletedBack": back, "sentLost": lost}))
