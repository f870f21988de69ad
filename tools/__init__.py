"""Developer tools of the plugin repository (test harnesses, the fake upstream); not shipped."""
