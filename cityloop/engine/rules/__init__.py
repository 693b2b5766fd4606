"""Rules as data: the schema of `rules/*.yaml`, the registry of rule types and their evaluators."""
