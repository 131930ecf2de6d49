"""The operation API: XML-RPC client, parameter catalog, filters, simulator.

Nothing here knows about Slack or Redis.
"""
