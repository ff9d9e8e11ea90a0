"""The service layer: what the entry points (Slack handlers, the scheduler, the command line)
ask for, one business action per call, over the domain (billing) and its storage."""
