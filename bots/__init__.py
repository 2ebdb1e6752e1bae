"""The Slack face of the assistant (slack-bolt). It imports app/ and indexer/, never the reverse."""
