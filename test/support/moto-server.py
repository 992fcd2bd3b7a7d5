# Starts moto_server with one speed fix for the test rig; the AWS behaviour under test stays moto's own.
#
# moto's SendMessage and ReceiveMessage read queue.attributes (for ContentBasedDeduplication and
# MessageRetentionPeriod), and building that dict counts every message in the queue three times
# (ApproximateNumberOf*). Sending or receiving N messages is then O(N^2): with 10,000 messages one
# call takes seconds. Inside those two calls the patched property leaves out the three counts, which
# they never read; every other read (GetQueueAttributes included) is moto's own.
import json
import sys
import threading

from moto.core.utils import camelcase_to_underscores
from moto.server import main
from moto.sqs import models

_local = threading.local()
_attributes = models.Queue.attributes.fget
_COUNTS = {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible"}


def _without_counts(self):
    # moto 5.2.5's Queue.attributes, minus the three counts
    result = {}
    for attribute in self.BASE_ATTRIBUTES:
        if attribute not in _COUNTS:
            result[attribute] = getattr(self, camelcase_to_underscores(attribute))
    if self.fifo_queue:
        for attribute in self.FIFO_ATTRIBUTES:
            result[attribute] = getattr(self, camelcase_to_underscores(attribute))
    if self.kms_master_key_id:
        for attribute in self.KMS_ATTRIBUTES:
            result[attribute] = getattr(self, camelcase_to_underscores(attribute))
    if self.policy:
        result["Policy"] = self.policy
    if self.redrive_policy:
        result["RedrivePolicy"] = json.dumps(self.redrive_policy)
    for key in result:
        if isinstance(result[key], bool):
            result[key] = str(result[key]).lower()
    return result


def attributes(self):
    return _without_counts(self) if getattr(_local, "no_counts", False) else _attributes(self)


def without_counts(method):
    def wrapped(self, *args, **kwargs):
        outer = getattr(_local, "no_counts", False)
        _local.no_counts = True
        try:
            return method(self, *args, **kwargs)
        finally:
            _local.no_counts = outer

    return wrapped


models.Queue.attributes = property(attributes)
models.SQSBackend.send_message = without_counts(models.SQSBackend.send_message)
models.SQSBackend.receive_message = without_counts(models.SQSBackend.receive_message)

if __name__ == "__main__":
    main(sys.argv[1:])
