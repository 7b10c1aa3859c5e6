"""API tokens: `services` (create, rotate, delete, authenticate, list), `authentication` (the API's Bearer scheme),
`forms`, `views` (the organisation's token page, rotate and delete for every scope) and `api` (/api/v1/tokens/).

The workspace's and the Deployment's token pages belong to those apps (`workspaces.views`, `deployments.views`),
which plug their frame into `views.TokenPage`."""
