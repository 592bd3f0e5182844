"""The ops console's read queries, one small module per page. Each takes an engine and the
licences the viewer may see, and returns plain dataclasses for the templates."""
