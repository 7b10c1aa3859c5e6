# Models of the monitoring capabilities live in their packages; Django finds them here.
from monitoring.alerts.channels.models import Channel, Delivery, DeliveryAttempt, Notification
from monitoring.alerts.models import Alert, AlertEvent, AlertRule, BuiltinRuleSetting, Silence

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertRule",
    "BuiltinRuleSetting",
    "Channel",
    "Delivery",
    "DeliveryAttempt",
    "Notification",
    "Silence",
]
