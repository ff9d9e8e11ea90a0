"""licensebot's application layer: configuration, CLI, Slack app assembly, views, i18n."""
