"""Reading and writing corpora; no cleaning logic lives here."""
