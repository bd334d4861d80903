"""Database URLs: their secrets (redacted everywhere they could be shown) and their drivers.

A password can sit in a URL in several forms: ``user:pw@host``, ``user:p@ss@host`` (an ``@`` the user did
not percent-encode), ``?password=pw`` and other secret query parameters (``sslpassword``, ``token``, ...).
:func:`redact` hides all of them by string surgery alone, so it works on URLs that no parser accepts;
:func:`scrub` removes the same secrets from any text (an error message from a driver, a log line).

Drivers: SQLAlchemy 2.1 maps a bare ``postgresql://`` to the psycopg 3 driver, which hpsearch does not
depend on; :func:`driver_url` maps it to psycopg2 (``psycopg2-binary`` is a dependency), the driver every
PostgreSQL URL in the documentation means. :func:`check_driver` says plainly when a URL's driver is missing
(MySQL/MariaDB: ``mysql+pymysql://`` needs ``pip install pymysql``).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["check_driver", "driver_url", "redact", "scrub", "secrets"]

MASK = "***"
_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key|auth|credential", re.IGNORECASE)
_DEFAULT_DRIVERS = {"postgresql": "postgresql+psycopg2"}  # bare scheme -> the driver that is a dependency
_INSTALL = {"psycopg": "pip install 'psycopg[binary]'", "psycopg2": "pip install psycopg2-binary",
            "pymysql": "pip install pymysql",
            "MySQLdb": "pip install mysqlclient (or write mysql+pymysql://... after pip install pymysql)"}


def _parts(url: str) -> tuple[str, str | None, str, str]:
    """(``scheme://``, credentials or None, host/path, ``?query`` or '') of ``url``.

    The credentials end at the LAST ``@`` before the query (or anywhere, when the password itself holds a
    ``?``): a password with an unencoded ``@`` or ``/`` is then taken whole. A ``@`` in a database name
    makes the split hide more than the password, never less.
    """
    scheme, _, rest = url.partition("://")
    query_at = rest.find("?")
    at = rest.rfind("@", 0, query_at if query_at >= 0 else len(rest))
    if at < 0:
        at = rest.rfind("@")
    creds, tail = (rest[:at], rest[at + 1 :]) if at >= 0 else (None, rest)
    query_at = tail.find("?")
    host, query = (tail[:query_at], tail[query_at:]) if query_at >= 0 else (tail, "")
    return f"{scheme}://", creds, host, query


def _query_items(query: str) -> list[tuple[str, str | None]]:
    items = []
    for item in query.lstrip("?").split("&") if query else []:
        key, eq, value = item.partition("=")
        items.append((key, value if eq else None))
    return items


def _is_secret(key: str) -> bool:
    return bool(_SECRET_KEY.search(unquote(key)))


def secrets(url: str) -> list[str]:
    """Every secret written in ``url`` (password, secret query values), as written and percent-decoded."""
    if "://" not in url:
        return []
    _, creds, _, query = _parts(url)
    found = []
    if creds is not None and ":" in creds:
        found.append(creds.split(":", 1)[1])
    found += [v for k, v in _query_items(query) if v and _is_secret(k)]
    found += [unquote(s) for s in found]
    return sorted({s for s in found if s}, key=len, reverse=True)


def redact(url: str) -> str:
    """``url`` with every password and secret query value replaced by ``***`` (any other text unchanged)."""
    if "://" not in url:
        return url
    scheme, creds, host, query = _parts(url)
    user = "" if creds is None else (creds.split(":", 1)[0] + f":{MASK}" if ":" in creds else creds) + "@"
    items = [(k, MASK if v is not None and _is_secret(k) else v) for k, v in _query_items(query)]
    query = ("?" + "&".join(k if v is None else f"{k}={v}" for k, v in items)) if query else ""
    return f"{scheme}{user}{host}{query}"


def scrub(text: str, url: str) -> str:
    """``text`` with every secret of ``url`` replaced by ``***`` (for a driver's error message)."""
    for secret in secrets(url):
        text = text.replace(secret, MASK)
    return text


def driver_url(url: str) -> str:
    """``url`` with a bare ``postgresql://`` given the psycopg2 driver; any other URL unchanged."""
    scheme, sep, rest = url.partition("://")
    return f"{_DEFAULT_DRIVERS.get(scheme, scheme)}{sep}{rest}" if sep else url


def check_driver(url: str) -> None:
    """Raise a one-line ValueError when the driver of database URL ``url`` is unknown or not installed."""
    parsed = make_url(driver_url(url))
    if parsed.host and "@" in parsed.host:
        raise ValueError(
            f"storage {redact(url)!r}: the password holds an '@' that is not percent-encoded; write it as %40 "
            "(and other special characters as %XX)"
        )
    try:
        dialect = parsed.get_dialect()
    except ArgumentError:
        raise ValueError(
            f"storage {redact(url)!r} names an unknown database driver {parsed.drivername!r}; use "
            "postgresql+psycopg2://... (or postgresql://...)"
        ) from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        module = (exc.name or parsed.get_driver_name()).split(".")[0]
        how = _INSTALL.get(module, f"install the Python package that provides {module!r}")
        raise ValueError(
            f"storage {redact(url)!r} needs the database driver {module!r}, which is not installed: {how}, "
            "or use postgresql+psycopg2://... (installed with hpsearch)"
        ) from None
