"""Keep secrets out of prompts: secret-looking file names and key-shaped strings in text."""

from __future__ import annotations

import os
import re

REDACTED = "<redacted>"

_SECRET_NAMES = frozenset(
    {
        ".netrc",
        "_netrc",
        ".npmrc",
        ".pypirc",
        ".pgpass",
        ".git-credentials",
        ".htpasswd",
        "credentials",
    }
)
_SECRET_SUFFIXES = (
    ".pem",
    ".key",
    ".p8",
    ".p12",
    ".pfx",
    ".pkcs12",
    ".jks",
    ".keystore",
    ".ppk",
    ".crt",
    ".cer",
    ".der",
    ".tfvars",
    ".tfvars.json",
    ".kdbx",
)
_SECRET_PREFIXES = (".env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "secrets.")
_CONFIG_SUFFIXES = (".json", ".yaml", ".yml", ".toml")


def is_secret_path(path: str | os.PathLike[str]) -> bool:
    """Whether a file's name says it holds keys, certificates or credentials."""
    name = os.path.basename(os.fspath(path)).lower()
    if name in _SECRET_NAMES or name.startswith(_SECRET_PREFIXES) or name.endswith(_SECRET_SUFFIXES):
        return True
    if name.endswith(_CONFIG_SUFFIXES):
        stem = name.rsplit(".", 1)[0]
        return "secret" in stem or stem == "credentials"
    return False


# Whole private key blocks, also when the file (or a string literal) ends before the END line.
_PEM_BLOCK = re.compile(
    r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
# The body of a block whose BEGIN line lies before the text (a window cut out of a larger file).
_PEM_TAIL = re.compile(
    r"(?:^[A-Za-z0-9+/=]{1,100}[ \t]*\r?\n)+-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----", re.MULTILINE
)

# The line-level rules below are not run over the whole text: each is tried only where one of its
# trigger substrings occurs (found with bytes.find in the lowercased UTF-8 text, which keeps every
# byte offset), so ordinary code costs a few fast scans and no regex work at all.

# Key-shaped tokens, each with its lowercase trigger and the trigger's offset into the token.
_TOKEN_RULES: tuple[tuple[str, int, str], ...] = (
    ("akia", 0, r"AKIA[A-Z0-9]{16}"),  # AWS access key id
    ("asia", 0, r"ASIA[A-Z0-9]{16}"),  # AWS temporary access key id
    *((f"gh{kind}_", 0, rf"gh{kind}_[A-Za-z0-9]{{36,255}}") for kind in "pousr"),  # GitHub
    ("github_pat_", 0, r"github_pat_[A-Za-z0-9_]{22,255}"),
    ("glpat-", 0, r"glpat-[A-Za-z0-9_\-]{20,}"),  # GitLab
    ("xox", 0, r"xox[abprs]-[A-Za-z0-9\-]{10,}"),  # Slack
    ("xapp-", 0, r"xapp-[0-9]-[A-Za-z0-9\-]{10,}"),
    ("aiza", 0, r"AIza[0-9A-Za-z_\-]{35}"),  # Google API key
    ("k_live_", 1, r"[sr]k_live_[0-9A-Za-z]{10,}"),  # Stripe
    ("k_test_", 1, r"[sr]k_test_[0-9A-Za-z]{10,}"),
    ("sk-", 0, r"sk-(?=[A-Za-z0-9_\-]*[0-9])[A-Za-z0-9_\-]{20,}"),  # OpenAI (sk-, sk-proj-), Anthropic (sk-ant-)
    ("npm_", 0, r"npm_[A-Za-z0-9]{36}"),
    ("hf_", 0, r"hf_[A-Za-z0-9]{30,}"),  # Hugging Face
    ("pypi-", 0, r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"),
    ("sg.", 0, r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"),  # SendGrid
    ("eyj", 0, r"eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"),  # JWT
    ("ac", 0, r"AC[0-9a-f]{32}"),  # Twilio account SID
    ("sk", 0, r"SK[0-9a-f]{32}"),  # Twilio API key SID
)
# Matched at a trigger on the original bytes; a token is a whole word, not part of a longer one.
_TOKEN_AT = re.compile(
    rb"(?<![A-Za-z0-9_\-])(?:" + b"|".join(rule.encode() for _, _, rule in _TOKEN_RULES) + rb")(?![A-Za-z0-9_\-])"
)

# A Twilio auth token is 32 bare hex digits: redacted only on a line that also holds a Twilio SID.
_TWILIO_SID = re.compile(rb"[AS][CK][0-9a-f]{32}")
_HEX32 = re.compile(rb"(?<![A-Za-z0-9_\-])[0-9a-fA-F]{32}(?![A-Za-z0-9_\-])")

# Tokens without a fixed prefix, searched over the whole text. Discord: base64 user id (it holds
# digits), a 6-character timestamp and an HMAC; Telegram: the bot id, then 35 characters.
_DISCORD = re.compile(
    rb"(?<![A-Za-z0-9_\-.])[MNO](?=[A-Za-z_\-]*[0-9])[A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}"
    rb"\.(?=[A-Za-z_\-]*[0-9])[A-Za-z0-9_\-]{27,38}(?![A-Za-z0-9_\-.])"
)
_TELEGRAM = re.compile(rb"(?<![A-Za-z0-9_\-:])[0-9]{8,10}:[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])")

# Slack incoming webhooks: the path after the host is the credential.
_SLACK_WEBHOOK = re.compile(rb"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9_/+\-]{8,})")

# Azure storage and service bus connection strings: `;AccountKey=...;`, `;SharedAccessKey=...`.
_AZURE_KEY_AT = re.compile(rb"(?:accountkey|sharedaccesskey)[ \t]*=[ \t]*([a-z0-9+/]{16,}={0,2})")

# libpq DSNs: `host=db user=app password=s3cret dbname=shop`; only where the line has another
# connection keyword and the value is followed by the next `key=`, a quote or the end of the line.
_DSN_PASSWORD_AT = re.compile(
    rb"(?:password|passwd)[ \t]*=[ \t]*([^\s'\"(),;\[\]{}$]{3,256})(?=[ \t]+[a-z_]+[ \t]*=|[\"']|[ \t]*\r?$)",
    re.MULTILINE,
)
_DSN_KEYWORD = re.compile(rb"(?<![a-z0-9_])(?:host|hostaddr|dbname|user|port|sslmode)[ \t]*=")

# scheme://user:password@host -> keep scheme, user and host. Searched a little before each "://".
_URL_PASSWORD = re.compile(rb"\b[A-Za-z][A-Za-z0-9+.\-]{0,30}://[^\s:/?#@\"'<>]{1,256}:([^\s/?#@\"'<>]{1,256})@")
_MAX_SCHEME = 32

# The rules below run on the lowercased bytes, starting at the name's keyword. The keyword must end
# the name (`db_password`, `apiKey`, `GITHUB_TOKEN`), so `tokens`, `token_type` or `tokenizer` are not
# secrets; "key" counts only after a word like api, access or private.
_KEYWORD_TRIGGERS = (b"pass", b"secret", b"token", b"credential", b"authorization")
_KEY_PREFIXES = tuple(
    f"{word}{separator}".encode()
    for word in ("encryption", "signing", "private", "access", "master", "secret", "auth", "api")
    for separator in ("_", "-", "")
)
_KEY_PREFIX_ENDS = frozenset(prefix[-1] for prefix in _KEY_PREFIXES)
_NAME = (
    rb"(?:password|passwd|passphrase|secret|token|credentials?|authorization"
    rb"|(?:api|access|private|secret|signing|encryption|master|auth)[_\-]?key|private[_\-]?key[_\-]?id)"
    rb"[0-9]*(?![a-z0-9_\-])"
)
_ASSIGN = (
    rb"(?:[\"']?\]?[ \t]*"  # closing quote of a dict key, or of a subscript
    rb"(?::[ \t]*[a-z_][\w.\[\], |]{0,40}?[ \t]*(?==))?"  # a type annotation before `=`
    rb"(?:[=!]==?|:=|=>|[:=])"
    rb"|[\"'][ \t]*,"  # setenv("API_TOKEN", "...")
    rb"|[ \t]+)"  # #define API_KEY "...", set password "..."
)
_QUOTED_AT = re.compile(_NAME + _ASSIGN + rb"[ \t]*[rbu]{0,2}(?:\"([^\"\n\\]{8,})\"|'([^'\n\\]{8,})'|`([^`\n\\]{8,})`)")
# Unquoted values on a `name: value` / `NAME=value` line (YAML, .ini, .properties, shell); the
# value must hold a digit, so `api_key: SecretStr` or `token = next_token` stay.
_BARE = rb"[^\s'\"`#,;()\[\]{}<>$]"
_BARE_AT = re.compile(
    _NAME + rb"[ \t]*[:=][ \t]*(" + _BARE + rb"*[0-9]" + _BARE + rb"*)(?=[ \t]*(?:#[^\r\n]*)?\r?$)", re.MULTILINE
)
_BARE_LINE_START = re.compile(rb"[ \t]*(?:export[ \t]+|-[ \t]+)?[\w.\-]{0,64}")
_AWS_SECRET_AT = re.compile(rb"secret(?:_?access)?_?key[\"']?[ \t]*[:=][ \t]*[\"']?([a-z0-9/+]{40})(?![a-z0-9/+])")


def _hits(lower: bytes, trigger: bytes) -> list[int]:
    found = []
    at = lower.find(trigger)
    while at != -1:
        found.append(at)
        at = lower.find(trigger, at + len(trigger))
    return found


def _line(data: bytes, at: int) -> tuple[int, int]:
    end = data.find(b"\n", at)
    return data.rfind(b"\n", 0, at) + 1, len(data) if end == -1 else end


def _token_spans(data: bytes, lower: bytes) -> list[tuple[int, int]]:
    spans = []
    for trigger, offset, _ in _TOKEN_RULES:
        for at in _hits(lower, trigger.encode()):
            if at >= offset and (match := _TOKEN_AT.match(data, at - offset)):
                spans.append(match.span())
                if _TWILIO_SID.fullmatch(data, *match.span()):
                    spans += [hit.span() for hit in _HEX32.finditer(data, *_line(data, at))]
    spans += [match.span() for match in _DISCORD.finditer(data)]
    spans += [match.span() for match in _TELEGRAM.finditer(data)]
    return spans


def _url_spans(data: bytes, lower: bytes) -> list[tuple[int, int]]:
    spans = []
    for at in _hits(lower, b"://"):
        end = lower.find(b"\n", at)
        match = _URL_PASSWORD.search(data, max(0, at - _MAX_SCHEME), len(data) if end == -1 else end)
        if match:
            spans.append(match.span(1))
    for at in _hits(lower, b"hooks.slack.com/"):
        if match := _SLACK_WEBHOOK.match(data, at):
            spans.append(match.span(1))
    for trigger in (b"accountkey", b"sharedaccesskey"):
        for at in _hits(lower, trigger):
            if match := _AZURE_KEY_AT.match(lower, at):
                spans.append(match.span(1))
    return spans


def _assignment_span(lower: bytes, start: int) -> tuple[int, int] | None:
    match = _QUOTED_AT.match(lower, start)
    if match:
        group = next(g for g in (1, 2, 3) if match.group(g) is not None)
        return match.span(group)
    match = _BARE_AT.match(lower, start)
    if match and match.end(1) - match.start(1) >= 8:
        line_start = lower.rfind(b"\n", 0, start) + 1
        if _BARE_LINE_START.fullmatch(lower, line_start, start):
            return match.span(1)
    return None


def _assignment_spans(lower: bytes) -> list[tuple[int, int]]:
    spans = []
    for trigger in _KEYWORD_TRIGGERS:
        for at in _hits(lower, trigger):
            if span := _assignment_span(lower, at):
                spans.append(span)
            elif trigger == b"pass" and (match := _DSN_PASSWORD_AT.match(lower, at)):
                if _DSN_KEYWORD.search(lower, *_line(lower, at)):
                    spans.append(match.span(1))
            elif trigger == b"secret" and (lower.endswith(b"aws_", 0, at) or lower.endswith(b"aws", 0, at)):
                if match := _AWS_SECRET_AT.match(lower, at):
                    spans.append(match.span(1))
    for at in _hits(lower, b"key"):
        if at == 0 or lower[at - 1] not in _KEY_PREFIX_ENDS:
            continue
        for prefix in _KEY_PREFIXES:
            if lower.endswith(prefix, 0, at):
                if span := _assignment_span(lower, at - len(prefix)):
                    spans.append(span)
                break
    return spans


def redact(text: str) -> str:
    """Replace key-shaped strings in text with ``REDACTED``, keeping the code around them."""
    if "-----BEGIN" in text:
        text = _PEM_BLOCK.sub(REDACTED, text)
    if "-----END" in text:
        text = _PEM_TAIL.sub(REDACTED, text)
    # UTF-8 bytes: lowercasing them keeps every offset, and bytes.find is fast whatever the text holds.
    data = text.encode("utf-8", "surrogatepass")
    lower = data.lower()
    spans = sorted(_token_spans(data, lower) + _url_spans(data, lower) + _assignment_spans(lower))
    if not spans:
        return text
    pieces: list[bytes] = []
    done = 0
    marker = REDACTED.encode()
    for start, end in spans:
        if end <= done:
            continue  # inside a span already replaced
        if start >= done:  # an overlapping span is covered by the marker already placed
            pieces += (data[done:start], marker)
        done = end
    pieces.append(data[done:])
    return b"".join(pieces).decode("utf-8", "surrogatepass")
