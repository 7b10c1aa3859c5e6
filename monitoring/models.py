# The models of monitoring's subpackages, so Django finds them.
from monitoring.alerts.channels.models import Channel, Delivery, DeliveryAttempt, Notification

__all__ = ["Channel", "Delivery", "DeliveryAttempt", "Notification"]
