"""Redshift SQL as the local PostgreSQL must see it, and what Redshift refuses.

Each rule cites the Amazon Redshift Database Developer Guide page it follows. Only the
Redshift syntax the project sends is translated; everything else reaches PostgreSQL as is
(and fails there if PostgreSQL does not know it: fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# --- tokens ------------------------------------------------------------------------------


def _segments(sql: str) -> Iterator[tuple[str, str]]:
    """(kind, text) pieces: "string" ('...'), "quoted" ("..."), "comment", "code"."""
    i, start, n = 0, 0, len(sql)
    while i < n:
        char = sql[i]
        end = None
        kind = ""
        if char == "'":
            kind, end = "string", _closing(sql, i, "'")
        elif char == '"':
            kind, end = "quoted", _closing(sql, i, '"')
        elif sql.startswith("--", i):
            kind = "comment"
            newline = sql.find("\n", i)
            end = n if newline < 0 else newline
        elif sql.startswith("/*", i):
            kind = "comment"
            close = sql.find("*/", i + 2)
            end = n if close < 0 else close + 2
        if end is None:
            i += 1
            continue
        if start < i:
            yield "code", sql[start:i]
        yield kind, sql[i:end]
        i = start = end
    if start < n:
        yield "code", sql[start:]


def _closing(sql: str, i: int, quote: str) -> int:
    """Index after the quote that closes the one at i (a doubled quote is an escape)."""
    j = i + 1
    while j < len(sql):
        if sql[j] == quote:
            if j + 1 < len(sql) and sql[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return len(sql)  # unterminated: PostgreSQL reports it


# --- translation -------------------------------------------------------------------------

# Physical design clauses of CREATE TABLE ("CREATE TABLE", Developer Guide): Redshift's
# distribution and sort keys have no PostgreSQL equivalent and change no result.
_PHYSICAL = re.compile(
    r"\b(?:diststyle\s+(?:even|all|key|auto)"
    r"|distkey\s*\(\s*[\w\"]+\s*\)"
    r"|(?:compound\s+|interleaved\s+)?sortkey\s*(?:\([^)]*\)|auto)"
    r"|encode\s+(?:auto|raw|az64|bytedict|delta|delta32k|lzo|mostly8|mostly16|mostly32"
    r"|runlength|text255|text32k|zstd))",
    re.IGNORECASE,
)
# GETDATE returns the current date and time without fractional seconds ("GETDATE
# function"); sessions run in UTC, Redshift's default time zone ("timezone").
_GETDATE = re.compile(r"\bgetdate\s*\(\s*\)", re.IGNORECASE)
# CREATE USER / ALTER USER ... PASSWORD DISABLE: a user that can only log in with IAM
# credentials ("CREATE USER"); PostgreSQL's equivalent is no password at all.
_PASSWORD_DISABLE = re.compile(r"\bpassword\s+disable\b", re.IGNORECASE)
# SUPER holds semi-structured values ("SUPER type"): PostgreSQL's jsonb stores the same JSON
# documents (the emulator loads SUPER only through COPY ... SERIALIZETOJSON, as JSON).
_SUPER = re.compile(r"\bsuper\b", re.IGNORECASE)
# JSON_PARSE turns JSON text into a SUPER value ("JSON_PARSE function"); PostgreSQL's
# function-style cast jsonb(text) does the same for jsonb, and fails as Redshift does on text
# that is not JSON.
_JSON_PARSE = re.compile(r"\bjson_parse\s*\(", re.IGNORECASE)


def translate(sql: str) -> str:
    """The statement for PostgreSQL: delimited identifiers folded to lower case, Redshift
    clauses PostgreSQL lacks rewritten. Literals and comments are left alone."""
    out = []
    for kind, text in _segments(sql):
        if kind == "quoted":
            # Delimited identifiers, user names included, are case-insensitive and folded
            # to lower case ("Names and identifiers"; enable_case_sensitive_identifier is
            # off by default).
            out.append(text.lower())
        elif kind == "code":
            text = _PHYSICAL.sub("", text)
            text = _GETDATE.sub("date_trunc('second', localtimestamp)", text)
            text = _SUPER.sub("jsonb", text)
            text = _JSON_PARSE.sub("jsonb(", text)
            out.append(_PASSWORD_DISABLE.sub("password null", text))
        else:
            out.append(text)
    return "".join(out)


def code_of(sql: str) -> str:
    """The statement without comments and literals, whitespace collapsed, lower case: for
    recognising commands."""
    parts = [
        text if kind == "code" else (" '' " if kind == "string" else f" {text.lower()} ")
        for kind, text in _segments(sql)
        if kind != "comment"
    ]
    return " ".join("".join(parts).split()).lower()


# --- what Redshift refuses ---------------------------------------------------------------

# Commands Redshift does not run inside a transaction block (a Data API batch is one):
# ALTER TABLE ... ALTER COLUMN ... TYPE ("ALTER TABLE"), and the list of
# "SVL_MULTI_STATEMENT_VIOLATIONS" (Developer Guide).
_NOT_IN_TRANSACTION = [
    (re.compile(r"^alter table \S+ alter column \S+ type\b"), "ALTER TABLE ALTER COLUMN"),
    (re.compile(r"^alter table \S+ append\b"), "ALTER TABLE APPEND"),
    (re.compile(r"^vacuum\b"), "VACUUM"),
    (re.compile(r"^create database\b"), "CREATE DATABASE"),
    (re.compile(r"^drop database\b"), "DROP DATABASE"),
    (re.compile(r"^(create|drop|alter) external table\b"), "EXTERNAL TABLE"),
    (re.compile(r"^(create|drop) library\b"), "LIBRARY"),
    (re.compile(r"^(create|drop) tablespace\b"), "TABLESPACE"),
    (re.compile(r"^reindex database\b"), "REINDEX DATABASE"),
]


def refused_in_transaction(sql: str) -> str | None:
    """Redshift's error for a command it refuses in a transaction block, or None."""
    code = code_of(sql)
    for pattern, command in _NOT_IN_TRANSACTION:
        if pattern.search(code):
            return f"ERROR: {command} cannot run inside a transaction block"
    return None


# Statements that change the session's database identity: only a superuser may ("SET
# SESSION AUTHORIZATION"). An IAM caller runs on a session the emulator switched to its
# user, so it must not switch back (undocumented beyond that: fail closed on all of these).
_IDENTITY_CHANGE = re.compile(
    r"^(set|reset) (session )?(session authorization|role)\b|^reset all\b|^discard\b"
    r"|\bset_config \( '' ",
)


def changes_identity(sql: str) -> bool:
    return bool(_IDENTITY_CHANGE.search(code_of(sql).replace("(", " ( ")))


_USERS_OR_GRANTS = re.compile(
    r"^(?:create|alter|drop)\s+(?:user|role|group)\b|^(?:grant|revoke)\b"
    r"|^alter\s+default\s+privileges\b"
)


def changes_users_or_grants(sql: str) -> bool:
    """CREATE/ALTER/DROP USER, GRANT, REVOKE, ALTER DEFAULT PRIVILEGES: statements that
    write PostgreSQL's cluster-wide catalog of users."""
    return bool(_USERS_OR_GRANTS.match(code_of(sql)))
