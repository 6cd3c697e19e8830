"""Pseudonymisation: the warehouse never holds a resource number, only a keyed hash of it.

HMAC-SHA256 with a secret key: without the key nobody can test guesses of resource numbers
against the pseudonyms. The key comes from $SICKLEAVE_PSEUDONYM_KEY, or from a key file created on
first use with owner-only permissions outside the repository ($SICKLEAVE_KEY_FILE, default
~/.config/sickleave/pseudonym.key).
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

import pandas as pd

from pipeline.errors import UserError

KEY_ENV = "SICKLEAVE_PSEUDONYM_KEY"
KEY_FILE_ENV = "SICKLEAVE_KEY_FILE"


def key_file_path() -> Path:
    default = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "sickleave"
    return Path(os.environ.get(KEY_FILE_ENV, default / "pseudonym.key"))


def load_or_create_key() -> bytes:
    """The pseudonymisation key: from the environment, else the key file (created if absent)."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode("utf-8")
    path = key_file_path()
    try:
        if path.exists():
            key = path.read_text(encoding="ascii").strip()
            if len(key) < 32:
                raise UserError(f"Nøkkelfilen {path} er for kort; slett den for å lage en ny.")
            return key.encode("ascii")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        return key.encode("ascii")
    except OSError as exc:
        raise UserError(
            f"Kan ikke lese eller lage pseudonymiseringsnøkkelen {path} ({exc.strerror}). "
            f"Sett {KEY_ENV} eller {KEY_FILE_ENV} til et sted du kan skrive."
        ) from None


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Replace each resource number by its keyed hash (hex, 16 bytes).

    Hashes each distinct value once: a person appears on many rows, and the distinct set is what
    costs time.
    """
    codes, uniques = pd.factorize(values.astype(str).str.strip(), sort=False)
    # hmac.digest is the one-shot form of hmac.new(...).digest(): the same HMAC-SHA256, without
    # building an HMAC object per value (about three times faster at 500 000 persons).
    digests = [hmac.digest(key, u.encode("utf-8"), "sha256").hex()[:32] for u in uniques]
    return pd.Series(pd.array(digests, dtype="string")[codes], index=values.index)
