"""Reading a scenario: file text → YAML with positions → validated Scenario → compiled Model."""
