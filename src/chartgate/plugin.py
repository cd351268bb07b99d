"""pytest plugin: scenario files become test items (filled in by the core pipeline)."""
