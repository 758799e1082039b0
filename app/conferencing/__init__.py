"""A call to join every meeting: a link per board or meeting, or a room on a self-hosted Jitsi Meet."""
