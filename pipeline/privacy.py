"""Pseudonymisation: the warehouse never holds a resource number, only a keyed hash of it.

A keyed hash (keyed BLAKE2b, pseudonyms_of) with a secret key: without the key nobody can test
guesses of resource numbers against the pseudonyms. The key comes from $SICKLEAVE_PSEUDONYM_KEY,
or from a key file created on first use with owner-only permissions outside the repository
($SICKLEAVE_KEY_FILE, default ~/.config/sickleave/pseudonym.key).

A new key gives every person a new pseudonym. The warehouse records which key built it (a key id:
an HMAC of a fixed text, which reveals nothing about the key), so a key file deleted or replaced
between nights is noticed and said loudly instead of being replaced in silence.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import filemodes
from pipeline.database_files import ANALYTICS_DB, INTERNAL_DB
from pipeline.errors import UserError
from pipeline.fingerprint import LAST_RUN_FILE
from pipeline.settings import Settings

if TYPE_CHECKING:  # a quiet night opens the key without importing pandas
    import pandas as pd

KEY_ENV = "SICKLEAVE_PSEUDONYM_KEY"
KEY_FILE_ENV = "SICKLEAVE_KEY_FILE"
# Beside the databases: the id of the key the warehouse was last built with.
KEY_ID_FILE = "pseudonym_key.id"
# Files whose presence means a warehouse was built before (with some key).
BUILT_FILES = (INTERNAL_DB, ANALYTICS_DB, LAST_RUN_FILE)


def load_or_create_key(settings: Settings) -> bytes:
    """The pseudonymisation key: from the settings, else the key file (created if absent)."""
    return _load_or_create(settings)[0]


def _load_or_create(settings: Settings) -> tuple[bytes, bool]:
    """The key and whether a new key file was created just now."""
    if settings.pseudonym_key.get_secret_value():
        return settings.pseudonym_key.get_secret_value().encode("utf-8"), False
    path = settings.key_file
    try:
        if path.exists():
            key = path.read_text(encoding="ascii").strip()
            if len(key) < 32:
                raise UserError(f"Nøkkelfilen {path} er for kort; slett den for å lage en ny.")
            return key.encode("ascii"), False
        path.parent.mkdir(parents=True, exist_ok=True, mode=filemodes.PRIVATE_DIR)
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, filemodes.PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        return key.encode("ascii"), True
    except OSError as exc:
        raise UserError(
            f"Kan ikke lese eller lage pseudonymiseringsnøkkelen {path} ({exc.strerror}). "
            f"Sett {KEY_ENV} eller {KEY_FILE_ENV} til et sted du kan skrive."
        ) from None


def key_id(key: bytes) -> str:
    """A short id of a key for telling keys apart; it cannot be turned back into the key."""
    return hmac.digest(key, b"sickleave pseudonym key id", "sha256").hex()[:16]


@dataclass(frozen=True)
class NightKey:
    """The night's key and what happened to it: `replaced` when the warehouse was built with
    another key (its key file deleted or exchanged, or the key in the environment changed)."""

    key: bytes
    key_id: str
    created: bool  # a new key file was written this night
    replaced: bool
    source: str  # the key file, or the environment variable

    @property
    def warning(self) -> str | None:
        """The Norwegian sentence for log, night summary and alert when the key was replaced."""
        if not self.replaced:
            return None
        how = "er borte, og en ny nøkkel er laget" if self.created else "er byttet ut"
        return (
            f"Pseudonymiseringsnøkkelen ({self.source}) {how}: alle pseudonymer i "
            "databasen er nye fra denne natten, og pseudonymer fra før kan ikke lenger kobles. "
            "Var det ikke meningen, stopp nattjobben og legg tilbake nøkkelen fra "
            "sikkerhetskopien (se README, «Nøkkelen: sikkerhetskopi og bytte»)."
        )


def open_night_key(warehouse_dir: Path, settings: Settings) -> NightKey:
    """The key for a night on this warehouse, compared with the key it was built with before."""
    key, created = _load_or_create(settings)
    current = key_id(key)
    warehouse_dir = Path(warehouse_dir)
    try:
        recorded = (warehouse_dir / KEY_ID_FILE).read_text(encoding="ascii").strip() or None
    except OSError:
        recorded = None
    built_before = any((warehouse_dir / name).exists() for name in BUILT_FILES)
    # A warehouse from before the key id was recorded: a key file made just now is a lost one.
    replaced = recorded != current if recorded else created and built_before
    source = KEY_ENV if settings.pseudonym_key.get_secret_value() else str(settings.key_file)
    return NightKey(key, current, created, replaced, source)


def record_night_key(warehouse_dir: Path, night_key: NightKey) -> None:
    """Record the key the warehouse is now built with; call it after the publish, so a night
    that fails after a key change says it again the next night."""
    filemodes.write_text(Path(warehouse_dir) / KEY_ID_FILE, night_key.key_id + "\n")


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Replace each resource number by its keyed hash (hex, 16 bytes)."""
    return pseudonymise_persons(values, key)[0]


def pseudonymise_persons(values: pd.Series, key: bytes) -> tuple[pd.Series, dict[str, str]]:
    """Each resource number's keyed hash (hex, 16 bytes), and the persons: pseudonym -> the
    stripped resource number, in the order they first appear.

    Each distinct value is stripped and hashed once (pseudonyms_of remembers them per process
    and key): a person appears on many rows and in several files of a night, and the distinct
    set is what costs time.
    """
    import pandas as pd

    codes, distinct = pd.factorize(values.astype(str), sort=False)
    originals = pd.Series(distinct).str.strip().tolist()
    digests = pseudonyms_of(originals, key)
    keys = pd.Series(pd.array(digests, dtype="string")[codes], index=values.index)
    return keys, dict(zip(digests, originals, strict=True))


# Keyed BLAKE2b takes keys up to this many bytes; a longer one is hashed down to it first.
_BLAKE2B_KEY_BYTES = 64
# The pseudonyms made so far with one key, so a person in three files is hashed once. Bounded,
# so a worker that runs night after night does not keep every person it ever saw.
_MEMO_LIMIT = 4_000_000
_memo: dict[str, str] = {}
_memo_key: list[bytes] = [b""]


def _blake2b_key(key: bytes) -> bytes:
    if len(key) <= _BLAKE2B_KEY_BYTES:
        return key
    return hashlib.blake2b(key, person=b"sickleave-key").digest()


def pseudonyms_of(values, key: bytes) -> list[str]:
    """The pseudonym of each value (already stripped text): keyed BLAKE2b, 16 bytes as hex.

    BLAKE2b with a key is a keyed hash (a MAC, RFC 7693) as HMAC-SHA256 is: without the key
    nobody can test guesses of resource numbers against the pseudonyms, and a new key gives
    every person a new pseudonym. It is several times faster than HMAC-SHA256 in Python (one
    C call per value, no HMAC object), which is what matters at 500 000 persons."""
    if _memo_key[0] != key or len(_memo) > _MEMO_LIMIT:
        _memo.clear()
        _memo_key[0] = key
    memo = _memo
    known = list(map(memo.get, values))
    if None not in known:
        return known
    # The key block is compressed once and copied for each value (BLAKE2b keyed with the data
    # given at once is the same hash): a fifth less time per person than keying every call.
    keyed = hashlib.blake2b(key=_blake2b_key(key), digest_size=16)

    def pseudonym(value: str) -> str:
        digest = keyed.copy()
        digest.update(value.encode("utf-8"))
        return digest.hexdigest()

    new = [value for value, digest in zip(values, known, strict=True) if digest is None]
    memo.update(zip(new, map(pseudonym, new), strict=True))
    return list(map(memo.__getitem__, values))
