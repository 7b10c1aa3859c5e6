# Logs, metrics and alerts arrive with the monitoring issue.
