# Deployments, clusters and provisioning arrive with the Deployments issue.
