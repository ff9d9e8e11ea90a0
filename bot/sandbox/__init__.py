"""`licensebot sandbox`: the real bot, and a local web page playing Slack's part."""
