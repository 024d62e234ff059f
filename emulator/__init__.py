"""Local AWS emulator for tap.multiregion: moto in server mode on 127.0.0.1.

This package is test/demo tooling only. Nothing in roles/ or plugins/ imports it;
roles reach it solely through the endpoint the `local` inventory reads from
`.emulator/url` (or the TAP_EMULATOR_URL environment variable).
"""
