"""State kept in Redis. One module per noun; key names in ``keyspace``, Lua in ``scripts``."""
