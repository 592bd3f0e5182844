"""The station agent: devices, workflows, the durable outbox and the MQTT link to the server.

Imports ``devices`` and ``schemas`` of ours, nothing else.
"""
