"""Accounts and access: log-ons, passwords, sessions, lockout and roles.

Used by the REST API (:mod:`server.api`) and the ops console alike:

- :mod:`~server.accounts.passwords`: argon2id hashing and the password policy.
- :mod:`~server.accounts.lockout`: slowing, then locking, repeated failed log-ins (pure).
- :mod:`~server.accounts.sessions`: the session store behind bearer tokens and cookies.
- :mod:`~server.accounts.roles`: account kinds, roles and the signed-in :class:`Principal`.
- :mod:`~server.accounts.roster`: what accounts read of the licensee's roster (the events).
- :mod:`~server.accounts.stations`: station broker accounts (issue, rotate, revoke) and the
  mosquitto files written from them (:mod:`server.brokerauth`).
- :mod:`~server.accounts.service`: :class:`Authenticator` (sign in, resolve a token, sign out).
- :mod:`~server.accounts.deps`: FastAPI dependencies (``CurrentPrincipal``, ``require_role``,
  licensee scopes) for routes of the API and the console.
- :mod:`~server.accounts.errors`: the exception tree.

Passwords and sessions are never written to an event.
"""
