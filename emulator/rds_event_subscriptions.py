"""RDS event subscription gaps of moto 5.2.5.

moto creates, describes and deletes event subscriptions but does not implement
ModifyEventSubscription, AddSourceIdentifierToSubscription or RemoveSourceIdentifierFromSubscription
(NotImplementedError, an HTTP 500). AWS changes the subscription in place: the topic, the source type,
the event categories and Enabled (ModifyEventSubscription; the source identifiers are kept), and adds
or removes one source identifier at a time. Unknown subscriptions answer SubscriptionNotFound.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import SubscriptionNotFoundError
    from moto.rds.models import RDSBackend
    from moto.rds.responses import RDSResponse

    def subscription(backend: Any, name: str) -> Any:
        if name not in backend.event_subscriptions:
            raise SubscriptionNotFoundError(name)
        return backend.event_subscriptions[name]

    def modify_event_subscription(self: Any, kwargs: dict[str, Any]) -> Any:
        found = subscription(self, kwargs["subscription_name"])
        if kwargs.get("sns_topic_arn"):
            found.sns_topic_arn = kwargs["sns_topic_arn"]
        if kwargs.get("source_type"):
            found.source_type = kwargs["source_type"]
        if kwargs.get("event_categories") is not None:
            found.event_categories = list(kwargs["event_categories"])
        if kwargs.get("enabled") is not None:
            found.enabled = bool(kwargs["enabled"])
        return found

    def add_source_identifier(self: Any, name: str, source_id: str) -> Any:
        found = subscription(self, name)
        if source_id not in found.source_ids:
            found.source_ids = list(found.source_ids) + [source_id]
        return found

    def remove_source_identifier(self: Any, name: str, source_id: str) -> Any:
        found = subscription(self, name)
        found.source_ids = [s for s in found.source_ids if s != source_id]
        return found

    RDSBackend.modify_event_subscription = modify_event_subscription
    RDSBackend.add_source_identifier_to_subscription = add_source_identifier
    RDSBackend.remove_source_identifier_from_subscription = remove_source_identifier

    def modify_response(self: Any) -> ActionResult:
        return ActionResult({"EventSubscription": self.backend.modify_event_subscription(self.params)})

    def add_response(self: Any) -> ActionResult:
        found = self.backend.add_source_identifier_to_subscription(
            self.params.get("SubscriptionName"), self.params.get("SourceIdentifier")
        )
        return ActionResult({"EventSubscription": found})

    def remove_response(self: Any) -> ActionResult:
        found = self.backend.remove_source_identifier_from_subscription(
            self.params.get("SubscriptionName"), self.params.get("SourceIdentifier")
        )
        return ActionResult({"EventSubscription": found})

    RDSResponse.modify_event_subscription = modify_response
    RDSResponse.add_source_identifier_to_subscription = add_response
    RDSResponse.remove_source_identifier_from_subscription = remove_response
