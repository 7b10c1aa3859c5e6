"""Invitations to an organisation: `services` (create, resend, revoke, accept), `emails` (the link and its
message) and `views` (the members page's invite panel and the accept page)."""
