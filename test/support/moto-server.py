# Starts moto_server with three fixes for the test rig; the AWS behaviour under test stays moto's own.
#
# 1. moto gives every EKS cluster the same OIDC issuer (one random id per server). On EKS each cluster
#    has its own, and tests that run in parallel each create their own cluster and IAM OIDC provider,
#    so the patched Cluster gets its own issuer id (32 hex digits, as EKS's).
#
# 2. Speed:
# moto's SendMessage and ReceiveMessage read queue.attributes (for ContentBasedDeduplication and
# MessageRetentionPeriod), and building that dict counts every message in the queue three times
# (ApproximateNumberOf*). Sending or receiving N messages is then O(N^2): with 10,000 messages one
# call takes seconds. Inside those two calls the patched property leaves out the three counts, which
# they never read; every other read (GetQueueAttributes included) is moto's own.
#
# 3. Speed: Queue.messages (the visible messages, which every ReceiveMessage lists first) asks the clock
#    twice per message in the queue; the patched property reads it once per call, same rule.
import json
import sys
import threading

from moto.core.utils import camelcase_to_underscores
from moto.server import main
from moto.eks import models as eks_models
from moto.moto_api._internal import mock_random
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


_cluster_init = eks_models.Cluster.__init__


def cluster_init(self, *args, **kwargs):
    _cluster_init(self, *args, **kwargs)
    region = self.arn.split(":")[3]
    issuer_id = "".join(mock_random.choice("0123456789ABCDEF") for _ in range(32))
    self.identity = {"oidc": {"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{issuer_id}"}}


eks_models.Cluster.__init__ = cluster_init


def visible_messages(self):
    # Message.visible is "now > visible_at", Message.delayed is "now < delayed_until"
    now = models.unix_time_millis()
    return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]


models.Queue.messages = property(visible_messages)
models.Queue.attributes = property(attributes)
models.SQSBackend.send_message = without_counts(models.SQSBackend.send_message)
models.SQSBackend.receive_message = without_counts(models.SQSBackend.receive_message)

if __name__ == "__main__":
    main(sys.argv[1:])
