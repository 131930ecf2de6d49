"""State kept in Redis: key names, the vault, installations, watches, audit."""
