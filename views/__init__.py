"""Block Kit views, built with slack-sdk's models (which check Slack's limits as they build)."""
