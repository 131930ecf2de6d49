"""The operation API: XML-RPC client, parameter catalog, filters, typed errors.

Nothing here knows about Slack or Redis.
"""
