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
#
# 4. IAM enforcement, which is off until a test switches it on (POST /moto-api/reset-auth with "0", on a
#    moto server of its own), follows AWS's rules where moto's differ:
#    a. A trust policy whose principal is a role (arn:aws:iam::A:role/NAME) admits that role's sessions
#       (arn:aws:sts::A:assumed-role/NAME/SESSION), as AWS does; moto compares the two ARNs literally.
#    b. AssumeRoleWithWebIdentity is not signed: AWS authorizes it by the web identity token and the role's
#       trust policy. moto would look for a signature. Here the call is admitted when the role's trust policy
#       has an Allow statement for sts:AssumeRoleWithWebIdentity with a Federated principal whose StringEquals
#       conditions on "<issuer>:sub" and "<issuer>:aud" match the token's sub and aud claims. The token's
#       signature and issuer are not verified (the test cluster's issuer is not the EKS cluster's).
#    c. SQS's batch calls need the permission of their single call (SendMessageBatch is allowed by
#       sqs:SendMessage, DeleteMessageBatch by sqs:DeleteMessage, ChangeMessageVisibilityBatch by
#       sqs:ChangeMessageVisibility: IAM has no sqs:*Batch actions); moto asks for "sqs:<operation>".
#
# 5. The queue's messages change under one lock per server. moto checks that a message is visible and marks
#    it received in two steps with no lock between them, so two concurrent receivers can both get the same
#    message: with 20 consumers long-polling at once it delivered 201 messages for 200. DeleteMessage rebuilds
#    the queue's list of messages from a copy it read first, with no lock either: a DeleteMessage beside
#    another brings the other's message back (received again once its visibility timeout passes, so
#    processed twice: the real-KEDA demo once counted 51 processed for 50 produced), and a SendMessage beside
#    it is lost. ReceiveMessage, DeleteMessage, SendMessage (its append), ChangeMessageVisibility and
#    PurgeQueue now hold the lock; test/integration/moto-sqs-races.test.ts checks it. SQS may deliver a
#    message twice too, but rarely; in moto it made "processed = produced" a coin toss. The lock is let go
#    while a long poll waits for messages, so waiting receivers do not hold each other up.
import base64
import json
import re
import sys
import threading

from moto.core.utils import camelcase_to_underscores
from moto.server import main
from moto.eks import models as eks_models
from moto.moto_api._internal import mock_random
from moto.sqs import models
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError
from moto.iam import access_control
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

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
_queue_lock = threading.RLock()  # re-entrant: a receive that moves a message to its dead-letter queue adds it there


def under_queue_lock(method):
    def wrapped(*args, **kwargs):
        with _queue_lock:
            return method(*args, **kwargs)

    return wrapped


def atomic_receive(method):
    def wrapped(self, *args, **kwargs):
        with _queue_lock:
            _local.receiving = True
            try:
                return method(self, *args, **kwargs)
            finally:
                _local.receiving = False

    return wrapped


_wait_for_messages = models.Queue.wait_for_messages


def wait_for_messages(self, timeout):
    if not getattr(_local, "receiving", False):
        return _wait_for_messages(self, timeout)
    _queue_lock.release()
    try:
        return _wait_for_messages(self, timeout)
    finally:
        _queue_lock.acquire()


models.Queue.wait_for_messages = wait_for_messages
models.SQSBackend.receive_message = atomic_receive(without_counts(models.SQSBackend.receive_message))
models.Queue.add_message = under_queue_lock(models.Queue.add_message)
models.Queue.delete_message = under_queue_lock(models.Queue.delete_message)
models.SQSBackend.change_message_visibility = under_queue_lock(models.SQSBackend.change_message_visibility)
models.SQSBackend.purge_queue = under_queue_lock(models.SQSBackend.purge_queue)

_check_principal = access_control.IAMPolicyStatement._check_principal
_SESSION = re.compile(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/[^/]+$")


def check_principal(self, principal):
    if _check_principal(self, principal):
        return True
    m = _SESSION.match(principal or "")
    if not m:
        return False
    partition, account, role = m.groups()
    expected = (self._statement.get("Principal") or {}).get("AWS")
    expected = expected if isinstance(expected, list) else [expected]
    return any(isinstance(e, str) and re.match(rf"^arn:{partition}:iam::{account}:role/(.*/)?{re.escape(role)}$", e) for e in expected)


access_control.IAMPolicyStatement._check_principal = check_principal


def _claims(token):
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except Exception:
        return None


def _web_identity_allowed(role_arn, token):
    claims = _claims(token or "")
    if not claims or not role_arn:
        return False
    account = role_arn.split(":")[4]
    try:
        role = iam_backends[account][get_partition("us-east-1")].get_role_by_arn(role_arn)
    except Exception:
        return False
    doc = role.assume_role_policy_document
    doc = json.loads(doc) if isinstance(doc, str) else doc
    statements = doc.get("Statement", [])
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    for st in statements if isinstance(statements, list) else [statements]:
        actions = st.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if st.get("Effect") != "Allow" or "sts:AssumeRoleWithWebIdentity" not in actions:
            continue
        if not (st.get("Principal") or {}).get("Federated"):
            continue
        ok = True
        for key, want in (st.get("Condition") or {}).get("StringEquals", {}).items():
            wants = want if isinstance(want, list) else [want]
            if key.endswith(":sub"):
                ok = ok and claims.get("sub") in wants
            elif key.endswith(":aud"):
                ok = ok and any(a in wants for a in auds)
        if ok:
            return True
    return False


_authenticate = ActionAuthenticatorMixin._authenticate_and_authorize_action


def authenticate(self, iam_request_cls, resource="*"):
    if "Authorization" not in self.headers and self._get_action() == "AssumeRoleWithWebIdentity":
        if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
            ActionAuthenticatorMixin.request_count += 1
            return
        role_arn = self._get_param("RoleArn")
        if not _web_identity_allowed(role_arn, self._get_param("WebIdentityToken")):
            raise AccessDeniedError(user_arn="web identity", action=f"sts:AssumeRoleWithWebIdentity on resource: {role_arn}")
        return
    return _authenticate(self, iam_request_cls, resource)


ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate

_SQS_BATCH = {"SendMessageBatch", "DeleteMessageBatch", "ChangeMessageVisibilityBatch"}
_iam_request_init = access_control.IAMRequestBase.__init__


def iam_request_init(self, *args, **kwargs):
    _iam_request_init(self, *args, **kwargs)
    service, _, action = self._action.partition(":")
    if service == "sqs" and action in _SQS_BATCH:
        self._action = f"sqs:{action[: -len('Batch')]}"


access_control.IAMRequestBase.__init__ = iam_request_init

if __name__ == "__main__":
    main(sys.argv[1:])
