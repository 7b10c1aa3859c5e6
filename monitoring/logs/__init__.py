"""Component logs: pods listed by label, logs read through the gateway within bounds, parsed and merged."""
