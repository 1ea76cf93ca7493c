"""conftest: loads pytester (the plugin's own tests run pytest inside pytest) and the tests' framework fixtures."""
pytest_plugins = ["pytester", "framework.fixtures", "framework.hosts"]
