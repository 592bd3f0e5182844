"""Broker security: station credentials, the mosquitto password and ACL files, TLS config.

- :mod:`.accounts`: accounts, ``$7$`` password hashes, the password and ACL file text (pure);
- :mod:`.roster`: the roster of who may connect; issuing and rotating passwords (pure);
- :mod:`.install`: writing the files atomically and making mosquitto reload them (I/O);
- :mod:`.conf`: the production ``mosquitto.conf`` (TLS listener, no anonymous access).

``docs/deploy.md`` explains how to run it.
"""
