"""SQL storage for the billing domain: models, the store, migrations."""
